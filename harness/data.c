/* IDX parsing through zlib (gzread also reads uncompressed files), splits, shuffling and batching. */
#include "harness/data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/mem.h"
#include "core/rng.h"

#define IDX_MAGIC_LABELS 0x00000801u /* unsigned byte, 1 dimension */
#define IDX_MAGIC_IMAGES 0x00000803u /* unsigned byte, 3 dimensions */
#define RNG_STREAM_SHUFFLE 0x5348554646ull /* "SHUFF": keeps shuffles apart from other draws */

static uint32_t be32(const unsigned char *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* Reads exactly `len` bytes; a short read is a truncated or corrupt file, said as such. */
static gs_status_t read_exact(gzFile f, const char *path, void *buf, size_t len, const char *what)
{
    unsigned char *p = buf;
    while (len > 0) {
        unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        int got = gzread(f, p, chunk);
        if (got < 0) {
            int err;
            const char *msg = gzerror(f, &err);
            return gs_error(GS_EFORMAT, "%s: corrupt gzip data while reading %s (%s)", path, what, msg);
        }
        if (got == 0)
            return gs_error(GS_EFORMAT, "%s: truncated: file ends inside %s", path, what);
        p += got;
        len -= (size_t)got;
    }
    return GS_OK;
}

static gs_status_t open_idx(const char *path, gzFile *f)
{
    errno = 0;
    *f = gzopen(path, "rb");
    if (!*f)
        return gs_error(GS_EIO, "%s: cannot open (%s)", path, errno ? strerror(errno) : "out of memory");
    return GS_OK;
}

/* Magic number and dimensions of an IDX header; `ndim` of them are read after the magic. */
static gs_status_t read_header(gzFile f, const char *path, uint32_t want_magic, int ndim, uint32_t *dims)
{
    unsigned char hdr[16];
    gs_status_t st = read_exact(f, path, hdr, 4 + 4 * (size_t)ndim, "the header");
    if (st != GS_OK)
        return st;
    uint32_t magic = be32(hdr);
    if (magic != want_magic)
        return gs_error(GS_EFORMAT, "%s: bad magic number 0x%08x, expected 0x%08x (IDX %s)", path, magic, want_magic,
                        want_magic == IDX_MAGIC_IMAGES ? "images: ubyte, 3 dimensions" : "labels: ubyte, 1 dimension");
    for (int i = 0; i < ndim; i++)
        dims[i] = be32(hdr + 4 + 4 * i);
    return GS_OK;
}

/* After the payload there must be nothing: trailing bytes mean the header lies about the count. */
static gs_status_t expect_eof(gzFile f, const char *path)
{
    unsigned char extra;
    int got = gzread(f, &extra, 1);
    if (got < 0)
        return gs_error(GS_EFORMAT, "%s: corrupt gzip data at the end of the file", path);
    if (got > 0)
        return gs_error(GS_EFORMAT, "%s: data after the last item: the header's count is wrong", path);
    return GS_OK;
}

static gs_status_t load_labels(const char *path, gs_dataset_t *d)
{
    gzFile f;
    gs_status_t st = open_idx(path, &f);
    if (st != GS_OK)
        return st;
    uint32_t n = 0;
    st = read_header(f, path, IDX_MAGIC_LABELS, 1, &n);
    unsigned char *raw = NULL;
    if (st == GS_OK && (long)n != d->n)
        st = gs_error(GS_EFORMAT, "%s: %u labels for %ld images", path, n, d->n);
    if (st == GS_OK && !(raw = malloc(n ? n : 1)))
        st = gs_error(GS_ENOMEM, "%s: cannot allocate %u labels", path, n);
    if (st == GS_OK)
        st = read_exact(f, path, raw, n, "the labels");
    if (st == GS_OK)
        st = expect_eof(f, path);
    for (uint32_t i = 0; st == GS_OK && i < n; i++) {
        if (raw[i] >= GS_DATA_CLASSES)
            st = gs_error(GS_EFORMAT, "%s: label %u of item %u is outside 0..%d", path, raw[i], i, GS_DATA_CLASSES - 1);
        else
            d->labels[i] = raw[i];
    }
    free(raw);
    gzclose(f);
    return st;
}

static gs_status_t load_images(const char *path, gs_dataset_t *d)
{
    gzFile f;
    gs_status_t st = open_idx(path, &f);
    if (st != GS_OK)
        return st;
    uint32_t dims[3];
    st = read_header(f, path, IDX_MAGIC_IMAGES, 3, dims);
    if (st == GS_OK && (dims[1] != 28 || dims[2] != 28))
        st = gs_error(GS_EFORMAT, "%s: images are %ux%u, expected 28x28 (Fashion-MNIST)", path, dims[1], dims[2]);
    if (st == GS_OK && (dims[0] == 0 || dims[0] > 10000000u))
        st = gs_error(GS_EFORMAT, "%s: image count %u, expected 1..10000000", path, dims[0]);
    size_t pixels = st == GS_OK ? (size_t)dims[0] * dims[1] * dims[2] : 0;
    unsigned char *raw = NULL;
    if (st == GS_OK) {
        d->n = dims[0];
        d->rows = dims[1];
        d->cols = dims[2];
        d->images = gs_alloc(pixels * sizeof(float));
        d->labels = malloc((size_t)d->n * sizeof(int32_t));
        raw = malloc(pixels);
        if (!d->images || !d->labels || !raw)
            st = gs_error(GS_ENOMEM, "%s: cannot allocate %zu pixels", path, pixels);
    }
    if (st == GS_OK)
        st = read_exact(f, path, raw, pixels, "the pixels");
    if (st == GS_OK)
        st = expect_eof(f, path);
    for (size_t i = 0; st == GS_OK && i < pixels; i++)
        d->images[i] = (float)raw[i] * (1.0f / 255.0f);
    free(raw);
    gzclose(f);
    return st;
}

gs_status_t gs_idx_load(const char *images_path, const char *labels_path, gs_dataset_t *out)
{
    memset(out, 0, sizeof *out);
    gs_status_t st = load_images(images_path, out);
    if (st == GS_OK)
        st = load_labels(labels_path, out);
    if (st != GS_OK)
        gs_dataset_free(out);
    return st;
}

void gs_dataset_free(gs_dataset_t *d)
{
    gs_free(d->images);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

/* A copy of items [first, first+count) of `src`. */
static gs_status_t slice(const gs_dataset_t *src, long first, long count, gs_dataset_t *dst)
{
    const long px = src->rows * src->cols;
    *dst = (gs_dataset_t){.n = count, .rows = src->rows, .cols = src->cols};
    dst->images = gs_alloc((size_t)(count * px) * sizeof(float));
    dst->labels = malloc((size_t)count * sizeof(int32_t));
    if (!dst->images || !dst->labels) {
        gs_dataset_free(dst);
        return gs_error(GS_ENOMEM, "data: cannot allocate a split of %ld images", count);
    }
    memcpy(dst->images, src->images + first * px, (size_t)(count * px) * sizeof(float));
    memcpy(dst->labels, src->labels + first, (size_t)count * sizeof(int32_t));
    return GS_OK;
}

const char *gs_data_dir(const char *dir)
{
    if (dir && *dir)
        return dir;
    const char *env = getenv("GRADSCOPE_DATA");
    return env && *env ? env : GS_DATA_DIR_DEFAULT;
}

#define TRAIN_SPLIT 54000 /* SCENARIOS.md: the first 54,000 training images train, the rest validate */

gs_status_t gs_data_load_splits(const char *dir, long subset, gs_splits_t *out)
{
    memset(out, 0, sizeof *out);
    const char *d = gs_data_dir(dir);
    char img[4096], lab[4096];
    gs_dataset_t full_train, full_test;
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", d);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", d);
    gs_status_t st = gs_idx_load(img, lab, &full_train);
    if (st != GS_OK)
        return st;
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", d);
    snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte.gz", d);
    st = gs_idx_load(img, lab, &full_test);
    if (st != GS_OK) {
        gs_dataset_free(&full_train);
        return st;
    }
    /* Small training files (tests' fixtures) keep the same 9:1 proportion. */
    const long split = full_train.n >= 60000 ? TRAIN_SPLIT : full_train.n * 9 / 10;
    long train_n = split, val_n = full_train.n - split, test_n = full_test.n;
    if (subset > 0) {
        long v = subset / 9 > 0 ? subset / 9 : 1;
        train_n = subset < train_n ? subset : train_n;
        val_n = v < val_n ? v : val_n;
        test_n = subset < test_n ? subset : test_n;
    }
    if (train_n < 1 || val_n < 1)
        st = gs_error(GS_EFORMAT, "%s: %ld training images are too few for a train/val split", d, full_train.n);
    if (st == GS_OK)
        st = slice(&full_train, 0, train_n, &out->train);
    if (st == GS_OK)
        st = slice(&full_train, split, val_n, &out->val);
    if (st == GS_OK)
        st = slice(&full_test, 0, test_n, &out->test);
    gs_dataset_free(&full_train);
    gs_dataset_free(&full_test);
    if (st != GS_OK)
        gs_splits_free(out);
    return st;
}

void gs_splits_free(gs_splits_t *s)
{
    gs_dataset_free(&s->train);
    gs_dataset_free(&s->val);
    gs_dataset_free(&s->test);
}

void gs_data_shuffle(long n, uint64_t seed, long epoch, long *perm)
{
    for (long i = 0; i < n; i++)
        perm[i] = i;
    for (long i = n - 1; i > 0; i--) {
        /* 64 random bits reduced to [0, i]: the modulo bias is below 2^-40 for any dataset size. */
        uint64_t r = ((uint64_t)gs_rng_u32(seed, RNG_STREAM_SHUFFLE + (uint64_t)epoch, 2 * (uint64_t)i) << 32) |
                     gs_rng_u32(seed, RNG_STREAM_SHUFFLE + (uint64_t)epoch, 2 * (uint64_t)i + 1);
        long j = (long)(r % (uint64_t)(i + 1));
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

void gs_data_gather(const gs_dataset_t *d, const long *perm, long first, long count, float *x, int32_t *y)
{
    const long px = d->rows * d->cols;
    for (long b = 0; b < count; b++) {
        long idx = perm ? perm[first + b] : first + b;
        memcpy(x + b * px, d->images + idx * px, (size_t)px * sizeof(float));
        y[b] = d->labels[idx];
    }
}
