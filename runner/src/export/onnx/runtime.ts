/**
 * ONNX Runtime for Node, re-exported from the runner so scripts outside the package (bench/)
 * resolve the same single copy the runner depends on.
 */
export * as ort from "onnxruntime-node";
