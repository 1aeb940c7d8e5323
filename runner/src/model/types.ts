/** How input pixels (0..255 RGB) must be normalised for a model's weights. */
export type Preprocessing = "caffe" | "imagenet" | "none";
