/* The IDX loader accepts well-formed files, rejects every kind of bad one with a message naming the
 * file and the fault, splits the real Fashion-MNIST as SCENARIOS.md says, and shuffles reproducibly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "harness/data.h"
#include "test_util.h"

static char dir[] = "/tmp/gs_idx_XXXXXX";

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16), b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

/* Writes a gzip'd IDX file: magic, dims, then `payload` bytes (generated: i % mod). */
static const char *write_idx(const char *name, uint32_t magic, int ndim, const uint32_t *dims, size_t payload, int mod)
{
    static char path[8][512];
    static int slot;
    char *p = path[slot++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    gzFile f = gzopen(p, "wb");
    unsigned char hdr[16];
    put_be32(hdr, magic);
    for (int i = 0; i < ndim; i++)
        put_be32(hdr + 4 + 4 * i, dims[i]);
    gzwrite(f, hdr, 4 + 4 * (unsigned)ndim);
    for (size_t i = 0; i < payload; i++) {
        unsigned char v = (unsigned char)(i % (size_t)mod);
        gzwrite(f, &v, 1);
    }
    gzclose(f);
    return p;
}

static const char *images(const char *name, uint32_t n, uint32_t r, uint32_t c, size_t payload)
{
    uint32_t d[3] = {n, r, c};
    return write_idx(name, 0x803, 3, d, payload, 256);
}

static const char *labels(const char *name, uint32_t n, size_t payload, int mod)
{
    return write_idx(name, 0x801, 1, &n, payload, mod);
}

/* Loading fails with `want` status and a message containing the file name and `needle`. */
static void expect_error(const char *what, const char *img, const char *lab, gs_status_t want, const char *needle)
{
    gs_dataset_t d;
    gs_error_clear();
    gs_status_t st = gs_idx_load(img, lab, &d);
    const char *msg = gs_error_detail();
    const char *file = strstr(msg, "/gs_idx_");
    gs_check(st == want && strstr(msg, needle) && file, "%s -> %s: \"%s\"", what, gs_status_str(st), msg);
}

static void test_good_file(void)
{
    const char *img = images("good-img.gz", 100, 28, 28, 100 * 784);
    const char *lab = labels("good-lab.gz", 100, 100, 10);
    gs_dataset_t d;
    gs_status_t st = gs_idx_load(img, lab, &d);
    if (!gs_check(st == GS_OK, "well-formed 100-image file loads (%s)", gs_error_detail()))
        return;
    gs_check(d.n == 100 && d.rows == 28 && d.cols == 28, "dimensions 100 x 28 x 28");
    gs_check(d.images[255] == 1.0f && d.images[1] == 1.0f / 255.0f && d.images[256] == 0.0f, "pixels scaled by 1/255");
    gs_check(d.labels[0] == 0 && d.labels[13] == 3, "labels read");
    gs_dataset_free(&d);
}

static void test_bad_files(void)
{
    const char *lab100 = labels("lab100.gz", 100, 100, 10);
    const char *img100 = images("img100.gz", 100, 28, 28, 100 * 784);
    expect_error("missing file", "/tmp/gs_idx_nonexistent/x.gz", lab100, GS_EIO, "cannot open");
    uint32_t d3[3] = {100, 28, 28};
    expect_error("labels file given as images", write_idx("swapped.gz", 0x801, 3, d3, 100 * 784, 256), lab100, GS_EFORMAT,
                 "bad magic number");
    expect_error("truncated pixels", images("short.gz", 100, 28, 28, 99 * 784 + 5), lab100, GS_EFORMAT, "truncated");
    expect_error("header without pixels", images("hdr.gz", 100, 28, 28, 0), lab100, GS_EFORMAT, "truncated");
    expect_error("not 28x28", images("27.gz", 100, 28, 27, 100 * 28 * 27), lab100, GS_EFORMAT, "expected 28x28");
    expect_error("trailing bytes", images("long.gz", 100, 28, 28, 100 * 784 + 3), lab100, GS_EFORMAT, "count is wrong");
    expect_error("fewer labels than images", img100, labels("lab99.gz", 99, 99, 10), GS_EFORMAT, "99 labels for 100 images");
    expect_error("label out of range", img100, labels("lab12.gz", 100, 100, 13), GS_EFORMAT, "outside 0..9");

    /* A gzip stream whose compressed body is garbage. */
    char corrupt[512];
    snprintf(corrupt, sizeof corrupt, "%s/corrupt.gz", dir);
    FILE *f = fopen(corrupt, "wb");
    const unsigned char gz_header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    fwrite(gz_header, 1, sizeof gz_header, f);
    for (int i = 0; i < 4000; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    expect_error("corrupt gzip", corrupt, lab100, GS_EFORMAT, "corrupt gzip");
}

static void test_real_dataset(void)
{
    gs_splits_t s;
    if (access(GS_DATA_DIR_DEFAULT "/train-images-idx3-ubyte.gz", R_OK) != 0) {
        printf("SKIP real Fashion-MNIST checks: %s not installed\n", GS_DATA_DIR_DEFAULT);
        return;
    }
    gs_status_t st = gs_data_load_splits(GS_DATA_DIR_DEFAULT, 0, &s);
    if (!gs_check(st == GS_OK, "real Fashion-MNIST loads (%s)", gs_error_detail()))
        return;
    gs_check(s.train.n == 54000 && s.val.n == 6000 && s.test.n == 10000, "split 54000 / 6000 / 10000 (got %ld / %ld / %ld)",
             s.train.n, s.val.n, s.test.n);
    /* Fashion-MNIST's first training image is an ankle boot (9), its first test image too. */
    gs_check(s.train.labels[0] == 9 && s.test.labels[0] == 9, "first train and test labels are 9 (ankle boot)");
    long counts[GS_DATA_CLASSES] = {0};
    for (long i = 0; i < s.test.n; i++)
        counts[s.test.labels[i]]++;
    gs_check(counts[0] == 1000 && counts[9] == 1000, "test set is balanced (1000 per class)");
    gs_splits_free(&s);

    st = gs_data_load_splits(GS_DATA_DIR_DEFAULT, 900, &s);
    gs_check(st == GS_OK && s.train.n == 900 && s.val.n == 100 && s.test.n == 900, "--subset 900 gives 900 / 100 / 900");
    gs_splits_free(&s);
}

static void test_shuffle(void)
{
    enum { N = 1000 };
    static long a[N], b[N], c[N];
    gs_data_shuffle(N, 42, 0, a);
    gs_data_shuffle(N, 42, 0, b);
    gs_data_shuffle(N, 42, 1, c);
    bool perm = true;
    static char seen[N];
    for (int i = 0; i < N; i++) {
        if (a[i] < 0 || a[i] >= N || seen[a[i]])
            perm = false;
        else
            seen[a[i]] = 1;
    }
    gs_check(perm, "shuffle is a permutation");
    gs_check(memcmp(a, b, sizeof a) == 0, "same seed and epoch, same order");
    gs_check(memcmp(a, c, sizeof a) != 0, "next epoch, another order");
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_good_file();
    test_bad_files();
    test_real_dataset();
    test_shuffle();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return gs_test_done("test_idx_loader_rejects_bad_files");
}
