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

/*
 * dst[i * dld + j] = src[j * sld + i] for i < m, j < n: a strided 2-D transpose in 4x4 SIMD
 * blocks, 32 source rows at a time so the rows being read stay in cache.
 */
static void transpose_2d(const float *src, float *dst, unsigned m, unsigned n, unsigned sld, unsigned dld) {
  for (unsigned jb = 0; jb < n; jb += 32) {
    unsigned je = jb + 32 < n ? jb + 32 : n;
    unsigned i = 0;
    for (; i + 4 <= m; i += 4) {
      unsigned j = jb;
      for (; j + 4 <= je; j += 4) {
        v128_t r0 = wasm_v128_load(src + (unsigned long)j * sld + i);
        v128_t r1 = wasm_v128_load(src + (unsigned long)(j + 1) * sld + i);
        v128_t r2 = wasm_v128_load(src + (unsigned long)(j + 2) * sld + i);
        v128_t r3 = wasm_v128_load(src + (unsigned long)(j + 3) * sld + i);
        v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
        v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        wasm_v128_store(dst + (unsigned long)i * dld + j, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
        wasm_v128_store(dst + (unsigned long)(i + 1) * dld + j, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
        wasm_v128_store(dst + (unsigned long)(i + 2) * dld + j, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
        wasm_v128_store(dst + (unsigned long)(i + 3) * dld + j, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
      }
      for (; j < je; j++)
        for (unsigned k = 0; k < 4; k++) dst[(unsigned long)(i + k) * dld + j] = src[(unsigned long)j * sld + i + k];
    }
    for (; i < m; i++)
      for (unsigned j = jb; j < je; j++) dst[(unsigned long)i * dld + j] = src[(unsigned long)j * sld + i];
  }
}

/* dst[0..n) = src[0..n) (row copies of a transpose that keeps the innermost axis). */
static void copy_run(const float *src, float *dst, unsigned n) {
  unsigned k = 0;
  for (; k + 4 <= n; k += 4) wasm_v128_store(dst + k, wasm_v128_load(src + k));
  for (; k < n; k++) dst[k] = src[k];
}

/*
 * Rank-4 transpose of a float32 [d0,d1,d2,d3] tensor: output axis j is input axis p_j. When the
 * innermost axis stays innermost it is row copies; otherwise the output axis q fed by the input's
 * innermost axis and the output's innermost axis form strided 2-D transposes (transpose_2d), one
 * per index of the two remaining output axes. wasm's Transpose kernel moves ~60-180M values/s on
 * these shapes (element by element); this is the layout change the conv gradients do around GEMMs.
 */
/* The i-th of four values (no arrays: a local array would live on the shadow stack). */
static inline unsigned long pick(unsigned i, unsigned long a, unsigned long b, unsigned long c, unsigned long d) {
  return i == 0 ? a : i == 1 ? b : i == 2 ? c : d;
}

EXPORT(transpose4)
void transpose4(const float *x, float *out, unsigned d0, unsigned d1, unsigned d2, unsigned d3, unsigned p0,
                unsigned p1, unsigned p2, unsigned p3) {
  const unsigned long s0 = (unsigned long)d1 * d2 * d3, s1 = (unsigned long)d2 * d3, s2 = d3, s3 = 1;
  /* Output dims and the input stride of each output axis. */
  const unsigned long od0 = pick(p0, d0, d1, d2, d3), od1 = pick(p1, d0, d1, d2, d3);
  const unsigned long od2 = pick(p2, d0, d1, d2, d3), od3 = pick(p3, d0, d1, d2, d3);
  const unsigned long is0 = pick(p0, s0, s1, s2, s3), is1 = pick(p1, s0, s1, s2, s3);
  const unsigned long is2 = pick(p2, s0, s1, s2, s3), is3 = pick(p3, s0, s1, s2, s3);
  const unsigned long os3 = 1, os2 = od3, os1 = os2 * od2, os0 = os1 * od1;
  if (p3 == 3) {
    for (unsigned a = 0; a < od0; a++)
      for (unsigned b = 0; b < od1; b++)
        for (unsigned c = 0; c < od2; c++)
          copy_run(x + a * is0 + b * is1 + c * is2, out + a * os0 + b * os1 + c * os2, od3);
    return;
  }
  /* q: the output axis fed by the input's innermost axis; u, v: the two others besides 3. */
  const unsigned q = p0 == 3 ? 0 : p1 == 3 ? 1 : 2;
  const unsigned u = q == 0 ? 1 : 0, v = q == 2 ? 1 : 2;
  const unsigned long nu = pick(u, od0, od1, od2, od3), nv = pick(v, od0, od1, od2, od3);
  const unsigned long iu = pick(u, is0, is1, is2, is3), iv = pick(v, is0, is1, is2, is3);
  const unsigned long ou = pick(u, os0, os1, os2, os3), ov = pick(v, os0, os1, os2, os3);
  const unsigned long nq = pick(q, od0, od1, od2, od3), oq = pick(q, os0, os1, os2, os3);
  for (unsigned a = 0; a < nu; a++)
    for (unsigned b = 0; b < nv; b++) transpose_2d(x + a * iu + b * iv, out + a * ou + b * ov, nq, od3, is3, oq);
}

/*
 * One filter tap's input pixels for a convolution's filter gradient: out[b, i, j, :] =
 * x[b, i*sh - top, j*sw - left, :] ([n, oh, ow, c] from [n, h, w, c]; zeros outside x, the
 * padding). top/left are the padding minus the tap's offset, so they may be negative.
 */
EXPORT(shifted_pixels)
void shifted_pixels(const float *x, float *out, unsigned n, unsigned h, unsigned w, unsigned c, unsigned oh,
                    unsigned ow, unsigned sh, unsigned sw, int top, int left) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (unsigned b = 0; b < n; b++)
    for (unsigned i = 0; i < oh; i++) {
      const int y = (int)(i * sh) - top;
      float *o = out + ((unsigned long)b * oh + i) * ow * c;
      for (unsigned j = 0; j < ow; j++, o += c) {
        const int xx = (int)(j * sw) - left;
        if (y < 0 || y >= (int)h || xx < 0 || xx >= (int)w) {
          unsigned k = 0;
          for (; k + 4 <= c; k += 4) wasm_v128_store(o + k, zero);
          for (; k < c; k++) o[k] = 0.0f;
        } else {
          copy_run(x + (((unsigned long)b * h + (unsigned)y) * w + (unsigned)xx) * c, o, c);
        }
      }
    }
}
