/* Profiler storage: one entry per (kernel, impl, ISA, shape) with every call's time kept so the
 * median is exact. A mutex guards it: kernels are recorded by the thread that dispatched them,
 * once per call (not per OpenMP thread), so contention is negligible. */
#include "core/profiler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool gs_prof_on;

typedef struct {
    gs_prof_entry_t key;
    uint64_t hash;
    uint64_t *times;
    size_t ntimes, cap;
} entry_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *entries;
static size_t nentries, entries_cap;
/* Open-addressing index over the entries (slot = entry index + 1, 0 empty), at most half full: a
 * record costs one hash of its key and about one comparison, not a search through every shape of
 * the step (a training step records ~50 calls over ~30 shapes). */
static uint32_t *slots;
static size_t nslots;

void gs_prof_enable(bool on) { gs_prof_on = on; }

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull; /* FNV-1a */
    return (h ^ 0xff) * 0x100000001b3ull;             /* a separator, so "ab"+"c" != "a"+"bc" */
}

static uint64_t key_hash(const char *kernel, const char *impl, const char *isa, const char *shape)
{
    return hash_str(hash_str(hash_str(hash_str(0xcbf29ce484222325ull, kernel), impl), isa), shape);
}

static bool same_key(const gs_prof_entry_t *k, const char *kernel, const char *impl, const char *isa,
                     const char *shape)
{
    return strcmp(k->kernel, kernel) == 0 && strcmp(k->impl, impl) == 0 && strcmp(k->isa, isa) == 0 &&
           strcmp(k->shape, shape) == 0;
}

/* Rebuilds the index with `n` slots (a power of two). */
static bool reindex(size_t n)
{
    uint32_t *grown = calloc(n, sizeof *grown);
    if (!grown)
        return false;
    for (size_t i = 0; i < nentries; i++) {
        size_t s = entries[i].hash & (n - 1);
        while (grown[s])
            s = (s + 1) & (n - 1);
        grown[s] = (uint32_t)(i + 1);
    }
    free(slots);
    slots = grown;
    nslots = n;
    return true;
}

static entry_t *find_or_add(const char *kernel, const char *impl, const char *isa, const char *shape)
{
    const uint64_t h = key_hash(kernel, impl, isa, shape);
    size_t s = nslots ? h & (nslots - 1) : 0;
    for (; nslots && slots[s]; s = (s + 1) & (nslots - 1)) {
        entry_t *e = &entries[slots[s] - 1];
        if (e->hash == h && same_key(&e->key, kernel, impl, isa, shape))
            return e;
    }
    if (nentries == entries_cap) {
        size_t cap = entries_cap ? 2 * entries_cap : 64;
        entry_t *grown = realloc(entries, cap * sizeof *grown);
        if (!grown)
            return NULL;
        entries = grown;
        entries_cap = cap;
    }
    entry_t *e = &entries[nentries++];
    memset(e, 0, sizeof *e);
    e->hash = h;
    snprintf(e->key.kernel, sizeof e->key.kernel, "%s", kernel);
    snprintf(e->key.impl, sizeof e->key.impl, "%s", impl);
    snprintf(e->key.isa, sizeof e->key.isa, "%s", isa);
    snprintf(e->key.shape, sizeof e->key.shape, "%s", shape);
    if (2 * nentries > nslots) { /* keep the index at most half full (it also indexes the new entry) */
        if (!reindex(nslots ? 2 * nslots : 128)) {
            nentries--;
            return NULL;
        }
    } else {
        slots[s] = (uint32_t)nentries;
    }
    return e;
}

void gs_prof_record(const char *kernel, const char *impl, const char *isa, const char *shape,
                    uint64_t ns, double flops, double bytes)
{
    pthread_mutex_lock(&lock);
    entry_t *e = find_or_add(kernel, impl, isa, shape);
    if (e && e->ntimes == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 16;
        uint64_t *grown = realloc(e->times, cap * sizeof *grown);
        if (grown) {
            e->times = grown;
            e->cap = cap;
        }
    }
    if (e && e->ntimes < e->cap) {
        e->times[e->ntimes++] = ns;
        e->key.calls++;
        e->key.total_s += (double)ns * 1e-9;
        e->key.flops = flops;
        e->key.bytes = bytes;
    }
    pthread_mutex_unlock(&lock);
}

void gs_prof_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nentries; i++)
        free(entries[i].times);
    free(entries);
    free(slots);
    entries = NULL;
    slots = NULL;
    nentries = entries_cap = nslots = 0;
    pthread_mutex_unlock(&lock);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_total_desc(const void *a, const void *b)
{
    double x = ((const gs_prof_entry_t *)a)->total_s, y = ((const gs_prof_entry_t *)b)->total_s;
    return (x < y) - (x > y);
}

size_t gs_prof_snapshot(gs_prof_entry_t **rows)
{
    *rows = NULL;
    pthread_mutex_lock(&lock);
    size_t n = nentries;
    gs_prof_entry_t *out = n ? malloc(n * sizeof *out) : NULL;
    for (size_t i = 0; out && i < n; i++) {
        entry_t *e = &entries[i];
        qsort(e->times, e->ntimes, sizeof *e->times, cmp_u64);
        out[i] = e->key;
        size_t m = e->ntimes;
        out[i].min_s = (double)e->times[0] * 1e-9;
        out[i].median_s = (m % 2 ? (double)e->times[m / 2] : 0.5 * ((double)e->times[m / 2 - 1] + (double)e->times[m / 2])) * 1e-9;
    }
    pthread_mutex_unlock(&lock);
    if (!out)
        return 0;
    qsort(out, n, sizeof *out, cmp_total_desc);
    *rows = out;
    return n;
}

gs_status_t gs_prof_write_csv(const char *path, double peak_gflops, double peak_gbs)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return gs_error(GS_EIO, "%s: cannot open for writing", path);
    gs_prof_entry_t *rows;
    size_t n = gs_prof_snapshot(&rows);
    fprintf(f, "kernel,impl,isa,shape,calls,total_s,median_s,min_s,flops_per_call,bytes_per_call,"
               "gflops,gbs,pct_peak_flops,pct_peak_bw\n");
    for (size_t i = 0; i < n; i++) {
        const gs_prof_entry_t *r = &rows[i];
        double gflops = r->median_s > 0 ? r->flops / r->median_s * 1e-9 : 0;
        double gbs = r->median_s > 0 ? r->bytes / r->median_s * 1e-9 : 0;
        fprintf(f, "%s,%s,%s,%s,%llu,%.6e,%.6e,%.6e,%.0f,%.0f,%.3f,%.3f,%.2f,%.2f\n", r->kernel, r->impl,
                r->isa, r->shape, (unsigned long long)r->calls, r->total_s, r->median_s, r->min_s, r->flops,
                r->bytes, gflops, gbs, peak_gflops > 0 ? 100 * gflops / peak_gflops : 0,
                peak_gbs > 0 ? 100 * gbs / peak_gbs : 0);
    }
    free(rows);
    if (fclose(f) != 0)
        return gs_error(GS_EIO, "%s: write failed", path);
    return GS_OK;
}
