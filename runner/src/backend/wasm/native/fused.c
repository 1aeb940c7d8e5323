/*
 * Training kernels for tfjs-backend-wasm (a GEMM with im2col/col2im for the convolutions and their
 * gradients, batch norm, ReLU's gradient, transposes), compiled to a small WebAssembly module that
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

/* dst[0..n) = 0, and dst[0..n) += src[0..n). */
static void zero_run(float *dst, unsigned n) {
  unsigned k = 0;
  for (; k + 4 <= n; k += 4) wasm_v128_store(dst + k, wasm_f32x4_splat(0.0f));
  for (; k < n; k++) dst[k] = 0.0f;
}
static void add_run(const float *src, float *dst, unsigned n) {
  unsigned k = 0;
  for (; k + 4 <= n; k += 4) wasm_v128_store(dst + k, wasm_f32x4_add(wasm_v128_load(dst + k), wasm_v128_load(src + k)));
  for (; k < n; k++) dst[k] += src[k];
}

/*
 * The walk im2col and col2im share: for every output pixel (b,i,j) of a conv over x [n,h,w,c] and
 * every tap (ta,tb), the column block cols[(b,i,j), (ta,tb,:)] ([n*oh*ow, fh*fw*c]) and the input
 * pixel x[b, i*sh + ta*dh - top, j*sw + tb*dw - left, :]. im2col copies the pixel into the block
 * (zeros where it lies outside x); col2im (`adjoint`) adds the block onto the pixel.
 */
static inline void patch_walk(float *x, float *cols, unsigned n, unsigned h, unsigned w, unsigned c, unsigned oh,
                              unsigned ow, unsigned fh, unsigned fw, unsigned sh, unsigned sw, unsigned dh,
                              unsigned dw, int top, int left, int adjoint) {
  float *blk = cols;
  for (unsigned b = 0; b < n; b++)
    for (unsigned i = 0; i < oh; i++)
      for (unsigned j = 0; j < ow; j++)
        for (unsigned ta = 0; ta < fh; ta++) {
          const int y = (int)(i * sh) + (int)(ta * dh) - top;
          for (unsigned tb = 0; tb < fw; tb++, blk += c) {
            const int xx = (int)(j * sw) + (int)(tb * dw) - left;
            if (y < 0 || y >= (int)h || xx < 0 || xx >= (int)w) {
              if (!adjoint) zero_run(blk, c);
              continue;
            }
            float *px = x + (((unsigned long)b * h + (unsigned)y) * w + (unsigned)xx) * c;
            if (adjoint)
              add_run(blk, px, c);
            else
              copy_run(px, blk, c);
          }
        }
}

/*
 * im2col for a convolution as a GEMM: out[(b,i,j), (ta,tb,:)] = x[b, i*sh + ta*dh - top, j*sw + tb*dw - left, :]
 * ([n*oh*ow, fh*fw*c] from [n, h, w, c]; zeros outside x): the receptive field of each output
 * pixel, tap by tap, so that the conv is this matrix times the filter seen as [fh*fw*c, cout].
 * With fh = fw = 1 it is one filter tap's input pixels (the filter gradient's per-tap GEMMs).
 */
EXPORT(im2col)
void im2col(const float *x, float *out, unsigned n, unsigned h, unsigned w, unsigned c, unsigned oh, unsigned ow,
            unsigned fh, unsigned fw, unsigned sh, unsigned sw, unsigned dh, unsigned dw, int top, int left) {
  patch_walk((float *)x, out, n, h, w, c, oh, ow, fh, fw, sh, sw, dh, dw, top, left, 0);
}

/*
 * col2im, the adjoint of im2col: x = 0, then every column block that lands inside x is added onto
 * its pixel. With cols = dy Wᵀ this is a convolution's input gradient, for any stride, without a
 * flipped filter or inserted zeros.
 */
EXPORT(col2im)
void col2im(const float *cols, float *x, unsigned n, unsigned h, unsigned w, unsigned c, unsigned oh, unsigned ow,
            unsigned fh, unsigned fw, unsigned sh, unsigned sw, unsigned dh, unsigned dw, int top, int left) {
  zero_run(x, n * h * w * c);
  patch_walk(x, (float *)cols, n, h, w, c, oh, ow, fh, fw, sh, sw, dh, dw, top, left, 1);
}

/*
 * A float32 GEMM, C[m,n] = A[m,k] B[k,n] (+ bias[n]), all row-major and contiguous (with `ta`,
 * A is given transposed, as [k,m]: a filter gradient's xᵀ dy without transposing x), in the
 * classic blocked form: B in blocks of GEMM_KC rows x GEMM_NC columns, each copied into panels of
 * 8 columns (`work`, GEMM_KC*GEMM_NC floats the caller provides), and a 4x8 SIMD micro-kernel
 * sweeping A's rows four at a time over the panels.
 *
 * Why not XNNPACK's GEMM (tfjs's BatchMatMul, or a Conv2D)? XNNPACK packs its "weights" operand
 * when the operator is created, with a scalar loop (~60M values/s here); a training step's
 * weights change every step and a gradient's operands are fresh tensors, so every call pays it.
 * For the late ResNet stages (4x4 pixels, 512x512x9 filters) that packing took longer than the
 * multiplies. This kernel's copy into panels is a SIMD copy amortised over all of A's rows.
 */
#define GEMM_KC 512
#define GEMM_NC 256

/* c[0..cols) (+)= lanes of v0 (columns 0-3) and v1 (4-7); cols < 8 only at the right edge. */
static inline void store_row8(float *c, v128_t v0, v128_t v1, unsigned cols, int acc) {
  if (cols == 8) {
    if (acc) {
      v0 = wasm_f32x4_add(v0, wasm_v128_load(c));
      v1 = wasm_f32x4_add(v1, wasm_v128_load(c + 4));
    }
    wasm_v128_store(c, v0);
    wasm_v128_store(c + 4, v1);
    return;
  }
  /* Lane by lane with constant indexes (a variable index would spill the vectors to the stack). */
#define LANE(j, v, l) \
  if (cols > j) c[j] = (acc ? c[j] : 0.0f) + wasm_f32x4_extract_lane(v, l);
  LANE(0, v0, 0) LANE(1, v0, 1) LANE(2, v0, 2) LANE(3, v0, 3)
  LANE(4, v1, 0) LANE(5, v1, 1) LANE(6, v1, 2)
#undef LANE
}

/*
 * C[rows x cols] (+)= A[rows x kc] times one packed panel [kc x 8]; rows <= 4, cols <= 8. A's
 * element (r, p) is at a[r*lda + p], or at a[p*lda + r] when `ta` (A stored transposed, [k, m]):
 * then the four rows' values of step p are adjacent, one vector load.
 */
static inline void gemm_micro(const float *a, unsigned long lda, int ta, const float *bp, unsigned kc, float *c,
                              unsigned long ldc, unsigned rows, unsigned cols, int acc) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
#define GEMM_STEP(x0, x1, x2, x3)                                           \
  {                                                                         \
    const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);      \
    v128_t x = x0;                                                          \
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, b0));                       \
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, b1));                       \
    x = x1;                                                                 \
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x, b0));                       \
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x, b1));                       \
    x = x2;                                                                 \
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x, b0));                       \
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x, b1));                       \
    x = x3;                                                                 \
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x, b0));                       \
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x, b1));                       \
  }
  if (ta && rows == 4) {
    for (unsigned p = 0; p < kc; p++, bp += 8, a += lda) {
      const v128_t v = wasm_v128_load(a);
      GEMM_STEP(wasm_i32x4_shuffle(v, v, 0, 0, 0, 0), wasm_i32x4_shuffle(v, v, 1, 1, 1, 1),
                wasm_i32x4_shuffle(v, v, 2, 2, 2, 2), wasm_i32x4_shuffle(v, v, 3, 3, 3, 3))
    }
  } else {
    /* Element (r, p) at a[r*rs + p*ps]; missing rows (the bottom edge) re-read row 0, not stored. */
    const unsigned long rs = ta ? 1 : lda, ps = ta ? lda : 1;
    const float *a0 = a, *a1 = rows > 1 ? a + rs : a, *a2 = rows > 2 ? a + 2 * rs : a, *a3 = rows > 3 ? a + 3 * rs : a;
    for (unsigned long q = 0; q < (unsigned long)kc * ps; q += ps, bp += 8)
      GEMM_STEP(wasm_f32x4_splat(a0[q]), wasm_f32x4_splat(a1[q]), wasm_f32x4_splat(a2[q]), wasm_f32x4_splat(a3[q]))
  }
#undef GEMM_STEP
  store_row8(c, c00, c01, cols, acc);
  if (rows > 1) store_row8(c + ldc, c10, c11, cols, acc);
  if (rows > 2) store_row8(c + 2 * ldc, c20, c21, cols, acc);
  if (rows > 3) store_row8(c + 3 * ldc, c30, c31, cols, acc);
}

/* Copies B[0..kc) x [0..nc) (row stride ldb) into panels of 8 columns, zero-padded at the right edge. */
static void gemm_pack(const float *b, unsigned long ldb, unsigned kc, unsigned nc, float *work) {
  for (unsigned q = 0; q < nc; q += 8) {
    float *o = work + (unsigned long)q * kc;
    const float *src = b + q;
    if (q + 8 <= nc) {
      for (unsigned p = 0; p < kc; p++, o += 8, src += ldb) {
        wasm_v128_store(o, wasm_v128_load(src));
        wasm_v128_store(o + 4, wasm_v128_load(src + 4));
      }
    } else {
      for (unsigned p = 0; p < kc; p++, o += 8, src += ldb)
        for (unsigned j = 0; j < 8; j++) o[j] = q + j < nc ? src[j] : 0.0f;
    }
  }
}

EXPORT(gemm)
void gemm(const float *a, const float *b, const float *bias, float *c, unsigned m, unsigned n, unsigned k,
          float *work, unsigned ta, unsigned r0, unsigned r1) {
  /* Rows r0..r1 of C only: the caller may split the rows over threads (each with its own `work`). */
  for (unsigned j0 = 0; j0 < n; j0 += GEMM_NC) {
    const unsigned nc = n - j0 < GEMM_NC ? n - j0 : GEMM_NC;
    for (unsigned p0 = 0; p0 < k; p0 += GEMM_KC) {
      const unsigned kc = k - p0 < GEMM_KC ? k - p0 : GEMM_KC;
      gemm_pack(b + (unsigned long)p0 * n + j0, n, kc, nc, work);
      for (unsigned i = r0; i < r1; i += 4) {
        const unsigned rows = r1 - i < 4 ? r1 - i : 4;
        for (unsigned q = 0; q < nc; q += 8)
          gemm_micro(ta ? a + (unsigned long)p0 * m + i : a + (unsigned long)i * k + p0, ta ? m : k, ta,
                     work + (unsigned long)q * kc, kc, c + (unsigned long)i * n + j0 + q, n, rows,
                     nc - q < 8 ? nc - q : 8, p0 > 0);
      }
    }
  }
  if (k == 0)
    for (unsigned long i = (unsigned long)r0 * n; i < (unsigned long)r1 * n; i++) c[i] = 0.0f;
  if (bias)
    for (unsigned i = r0; i < r1; i++) {
      float *row = c + (unsigned long)i * n;
      unsigned j = 0;
      for (; j + 4 <= n; j += 4) wasm_v128_store(row + j, wasm_f32x4_add(wasm_v128_load(row + j), wasm_v128_load(bias + j)));
      for (; j < n; j++) row[j] += bias[j];
    }
}

/* out[t] = x[T-1-t] for blocks of `rest` floats: a filter's taps reversed (wasm's Reverse is a scalar loop). */
EXPORT(reverse_blocks)
void reverse_blocks(const float *x, float *out, unsigned t, unsigned rest) {
  for (unsigned i = 0; i < t; i++) copy_run(x + (unsigned long)(t - 1 - i) * rest, out + (unsigned long)i * rest, rest);
}
