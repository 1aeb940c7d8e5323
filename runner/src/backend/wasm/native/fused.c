/*
 * Element-wise training kernels for tfjs-backend-wasm, compiled to a tiny WebAssembly module that
 * IMPORTS the backend's own memory (env.memory): every pointer is a tensor's byte offset in the
 * tfjs heap, so the kernels read and write tensors in place, with no copy in or out.
 *
 * Rules that keep the module from touching memory it does not own: no globals, no static data, no
 * local arrays (so no data segment and no use of the linker's shadow stack; build.sh checks both
 * in the output), no libc. Pointers come only from the caller.
 *
 * Float32 NHWC tensors seen as [rows, c]: rows = N*H*W pixels, c channels (innermost).
 * Build: ./build.sh (clang + wasm-ld); the .wasm files are committed.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* ReLU's gradient: dx = x > 0 ? dy : 0 (one pass; tfjs-core runs Step, Cast and Mul). */
EXPORT(relu_grad)
void relu_grad(const float *dy, const float *x, float *dx, unsigned n) {
  unsigned i = 0;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= n; i += 4) {
    v128_t m = wasm_f32x4_gt(wasm_v128_load(x + i), zero);
    wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dy + i), m));
  }
  for (; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

/*
 * Per-channel sums of a batch norm's backward pass in one read of dy and x:
 * sum_dy[k] = sum over rows of dy, sum_dyxc[k] = sum over rows of dy * (x - mean[k]).
 * Accumulates row by row (the order the cpu backend's reductions use).
 */
EXPORT(channel_sums)
void channel_sums(const float *dy, const float *x, const float *mean, float *sum_dy, float *sum_dyxc,
                  unsigned rows, unsigned c) {
  for (unsigned k = 0; k < c; k++) sum_dy[k] = sum_dyxc[k] = 0.0f;
  for (unsigned r = 0; r < rows; r++) {
    const float *d = dy + (unsigned long)r * c, *v = x + (unsigned long)r * c;
    unsigned k = 0;
    for (; k + 4 <= c; k += 4) {
      v128_t g = wasm_v128_load(d + k);
      v128_t xc = wasm_f32x4_sub(wasm_v128_load(v + k), wasm_v128_load(mean + k));
      wasm_v128_store(sum_dy + k, wasm_f32x4_add(wasm_v128_load(sum_dy + k), g));
      wasm_v128_store(sum_dyxc + k, wasm_f32x4_add(wasm_v128_load(sum_dyxc + k), wasm_f32x4_mul(g, xc)));
    }
    for (; k < c; k++) {
      sum_dy[k] += d[k];
      sum_dyxc[k] += d[k] * (v[k] - mean[k]);
    }
  }
}

/* out[r, k] = a[r, k] * scale[k]: batch norm's dx = dy * g, broadcasting g over the rows. */
EXPORT(scale_channels)
void scale_channels(const float *a, const float *scale, float *out, unsigned rows, unsigned c) {
  for (unsigned r = 0; r < rows; r++) {
    const float *in = a + (unsigned long)r * c;
    float *o = out + (unsigned long)r * c;
    unsigned k = 0;
    for (; k + 4 <= c; k += 4) wasm_v128_store(o + k, wasm_f32x4_mul(wasm_v128_load(in + k), wasm_v128_load(scale + k)));
    for (; k < c; k++) o[k] = in[k] * scale[k];
  }
}

/* out[r, k] = v[k] for every row: Mean's gradient (dy / count spread over the reduced rows). */
EXPORT(broadcast_rows)
void broadcast_rows(const float *v, float *out, unsigned rows, unsigned c) {
  for (unsigned r = 0; r < rows; r++) {
    float *o = out + (unsigned long)r * c;
    unsigned k = 0;
    for (; k + 4 <= c; k += 4) wasm_v128_store(o + k, wasm_v128_load(v + k));
    for (; k < c; k++) o[k] = v[k];
  }
}

/*
 * Batch norm's forward pass, out = (x - mean[k]) * g[k] + offset[k] with g = scale / sqrt(var + eps)
 * (scale or offset 0: none). g is first written to `g` (c floats the caller provides), so the
 * full-size pass is a subtract, a multiply and an add. x is centred before scaling, as tfjs's cpu
 * backend does, so a large mean does not cancel away the precision of a small spread.
 */
EXPORT(batch_norm)
void batch_norm(const float *x, const float *mean, const float *var, const float *scale, const float *offset,
                float eps, float *g, float *out, unsigned rows, unsigned c) {
  for (unsigned k = 0; k < c; k++) g[k] = (scale ? scale[k] : 1.0f) / __builtin_sqrtf(var[k] + eps);
  for (unsigned r = 0; r < rows; r++) {
    const float *in = x + (unsigned long)r * c;
    float *o = out + (unsigned long)r * c;
    unsigned k = 0;
    for (; k + 4 <= c; k += 4) {
      v128_t y = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(in + k), wasm_v128_load(mean + k)), wasm_v128_load(g + k));
      if (offset) y = wasm_f32x4_add(y, wasm_v128_load(offset + k));
      wasm_v128_store(o + k, y);
    }
    for (; k < c; k++) o[k] = (in[k] - mean[k]) * g[k] + (offset ? offset[k] : 0.0f);
  }
}
