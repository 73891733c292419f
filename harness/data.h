/* Fashion-MNIST from IDX files (gzip'd or plain, read through zlib): checked loading, the split of
 * SCENARIOS.md (train = first 54,000 training images, val = the last 6,000, test = the 10,000 test
 * images), subsets for quick runs, and per-epoch shuffling from the core RNG. */
#ifndef GS_DATA_H
#define GS_DATA_H

#include <stdint.h>

#include "core/status.h"

#define GS_DATA_DIR_DEFAULT "/usr/share/datasets/fashion-mnist"
#define GS_DATA_CLASSES 10

/* n images of rows x cols pixels scaled to [0, 1] (pixel / 255), row-major, and their labels. */
typedef struct {
    long n, rows, cols;
    float *images; /* n * rows * cols, 64-byte aligned */
    int32_t *labels;
} gs_dataset_t;

/* Loads one IDX image file and its label file. Errors name the file and what is wrong: missing or
 * unreadable, not gzip/corrupt, wrong magic number, unexpected dimensions, truncated, image and
 * label counts that disagree, a label outside 0..9. */
gs_status_t gs_idx_load(const char *images_path, const char *labels_path, gs_dataset_t *out);

void gs_dataset_free(gs_dataset_t *d);

/* The three splits. `subset` > 0 keeps only the first `subset` images of train and of test and the
 * first subset/9 (at least 1) of val, for quick runs and tests; 0 keeps everything. */
typedef struct {
    gs_dataset_t train, val, test;
} gs_splits_t;

/* Reads train-images-idx3-ubyte.gz etc. from `dir` (NULL: $GRADSCOPE_DATA, else
 * GS_DATA_DIR_DEFAULT) and makes the splits. */
gs_status_t gs_data_load_splits(const char *dir, long subset, gs_splits_t *out);

void gs_splits_free(gs_splits_t *s);

/* The folder gs_data_load_splits would read for `dir`. */
const char *gs_data_dir(const char *dir);

/* perm[0..n) = a permutation of 0..n-1 for `epoch` (Fisher-Yates on Philox words keyed by seed and
 * epoch): the same for a given seed whatever the thread count. */
void gs_data_shuffle(long n, uint64_t seed, long epoch, long *perm);

/* Copies the images and labels of perm[first .. first+count) into a batch (x: count x pixels). */
void gs_data_gather(const gs_dataset_t *d, const long *perm, long first, long count, float *x, int32_t *y);

#endif
