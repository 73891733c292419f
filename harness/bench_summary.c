/* Summary of a `gradscope bench <op>` run, parsed back from Google Benchmark's JSON with cJSON. */
#include "harness/bench_summary.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness/bench_gemm.h"

enum { MAX_ROWS = 256, MAX_IMPLS = 12, N_OURS = 3 };

/* Column order: ours (by ISA) first, then the libraries (oneDNN in any layout, OpenBLAS, BLIS, in
 * the order they were registered); ours/peer compares the fastest of each group. */
static const char *const our_names[N_OURS] = {"scalar", "avx2", "avx512"};

typedef struct {
    double rate;   /* GFLOP/s or GB/s; NAN when this implementation did not run */
    bool median;   /* rate is the median aggregate of repetitions */
    bool error;
} cell_t;

/* A paired benchmark (ours alternated with one library): its rounds' median ratio and quartiles. */
typedef struct {
    double ratio, q1, q3; /* NAN when not run */
    bool median;          /* from the median aggregate of repetitions */
} pair_t;

typedef struct {
    char shape[64]; /* "<problem>", or "<op>/<problem>" for ops other than gemm */
    int threads;
    double family; /* lowest Google Benchmark family_index in the row (INFINITY: none) */
    int first;     /* when the row was first seen in the report */
    cell_t cells[MAX_IMPLS];
    pair_t pairs[MAX_IMPLS]; /* by the library's column */
} row_t;

typedef struct {
    row_t rows[MAX_ROWS];
    int nrows;
    int repetitions; /* behind the medians; 0 when every cell is a single measurement */
    int errors;
    bool has_pairs;
    char impls[MAX_IMPLS][32];
    int nimpls;
    bool has_impl[MAX_IMPLS];
    double impl_family[MAX_IMPLS]; /* lowest family_index of each implementation (INFINITY: none) */
    int columns[MAX_IMPLS];        /* print order: ours, then libraries by impl_family */
    const char *unit; /* "GFLOP/s" or "GB/s", from the first benchmark with a rate */
} table_t;

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *grown = realloc(buf, 2 * cap + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* The column of an implementation, added on first sight (ours at their fixed places). */
static int impl_index(table_t *t, const char *name)
{
    for (int i = 0; i < t->nimpls; i++)
        if (strcmp(name, t->impls[i]) == 0)
            return i;
    if (t->nimpls == 0) {
        for (int i = 0; i < N_OURS; i++) {
            snprintf(t->impls[i], sizeof t->impls[i], "%s", our_names[i]);
            t->impl_family[i] = INFINITY;
        }
        t->nimpls = N_OURS;
        return impl_index(t, name);
    }
    if (t->nimpls == MAX_IMPLS || strlen(name) >= sizeof t->impls[0])
        return -1;
    snprintf(t->impls[t->nimpls], sizeof t->impls[0], "%s", name);
    t->impl_family[t->nimpls] = INFINITY;
    return t->nimpls++;
}

/* "<op>/<problem>/<impl>/threads:<n>[/...]" -> its parts; false for any other name. GEMM rows keep
 * their bare problem (the report has always shown them so); other ops show "<op>/<problem>". A
 * paired benchmark's "<ours>-vs-<library>" sets *paired and gives the library's column. */
static bool parse_run_name(table_t *t, const char *run_name, char *shape, size_t cap, int *impl, int *threads,
                           bool *paired)
{
    char buf[256];
    if (strlen(run_name) >= sizeof buf)
        return false;
    strcpy(buf, run_name);
    char *save = NULL;
    const char *op = strtok_r(buf, "/", &save), *s = strtok_r(NULL, "/", &save);
    const char *im = strtok_r(NULL, "/", &save), *th = strtok_r(NULL, "/", &save);
    if (!op || !s || !im || !th || strncmp(th, "threads:", 8) != 0)
        return false;
    int len = strcmp(op, "gemm") == 0 ? snprintf(shape, cap, "%s", s) : snprintf(shape, cap, "%s/%s", op, s);
    if (len < 0 || (size_t)len >= cap)
        return false;
    const char *vs = strstr(im, GS_BENCH_PAIR_SEP);
    *paired = vs != NULL;
    *impl = impl_index(t, vs ? vs + strlen(GS_BENCH_PAIR_SEP) : im);
    *threads = atoi(th + 8);
    return *impl >= 0 && *threads > 0;
}

static row_t *find_row(table_t *t, const char *shape, int threads)
{
    for (int i = 0; i < t->nrows; i++)
        if (t->rows[i].threads == threads && strcmp(t->rows[i].shape, shape) == 0)
            return &t->rows[i];
    if (t->nrows == MAX_ROWS)
        return NULL;
    row_t *r = &t->rows[t->nrows];
    snprintf(r->shape, sizeof r->shape, "%s", shape);
    r->threads = threads;
    r->family = INFINITY;
    r->first = t->nrows++;
    for (int i = 0; i < MAX_IMPLS; i++) {
        r->cells[i] = (cell_t){NAN, false, false};
        r->pairs[i] = (pair_t){NAN, NAN, NAN, false};
    }
    return r;
}

static const char *string_field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double number_field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static bool is_median(const cJSON *b)
{
    const char *run_type = string_field(b, "run_type"), *agg = string_field(b, "aggregate_name");
    return run_type && strcmp(run_type, "aggregate") == 0 && agg && strcmp(agg, "median") == 0;
}

static bool is_aggregate(const cJSON *b)
{
    const char *run_type = string_field(b, "run_type");
    return run_type && strcmp(run_type, "aggregate") == 0;
}

/* A paired benchmark's ratio counters; the median aggregate wins as for rates. */
static void add_pair(table_t *t, pair_t *p, const cJSON *b)
{
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "error_occurred"))) {
        t->errors++;
        return;
    }
    const double ratio = number_field(b, "ratio");
    if (isnan(ratio) || p->median) /* nothing to add, or the median is in */
        return;
    if (is_aggregate(b) ? !is_median(b) : !isnan(p->ratio)) /* mean or stddev; a later repetition */
        return;
    *p = (pair_t){ratio, number_field(b, "ratio_q1"), number_field(b, "ratio_q3"), is_median(b)};
    t->has_pairs = true;
}

/* One entry of "benchmarks": a repetition ("iteration") or a statistic over them ("aggregate").
 * The median wins over single measurements; other statistics (mean, stddev, cv) are not shown. */
static void add_entry(table_t *t, const cJSON *b)
{
    const char *run_name = string_field(b, "run_name");
    char shape[64];
    int impl, threads;
    bool paired;
    if (!run_name || !parse_run_name(t, run_name, shape, sizeof shape, &impl, &threads, &paired))
        return;
    row_t *row = find_row(t, shape, threads);
    if (!row)
        return;
    const double family = number_field(b, "family_index");
    if (!isnan(family) && family < row->family)
        row->family = family;
    if (paired) {
        add_pair(t, &row->pairs[impl], b);
        return;
    }
    if (!isnan(family) && family < t->impl_family[impl])
        t->impl_family[impl] = family;
    cell_t *cell = &row->cells[impl];
    t->has_impl[impl] = true;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "error_occurred"))) {
        t->errors += !cell->error;
        cell->error = true;
        return;
    }
    double g = number_field(b, "GFLOP/s");
    const char *unit = "GFLOP/s";
    if (isnan(g)) {
        g = number_field(b, "GB/s");
        unit = "GB/s";
    }
    if (!isnan(g) && !t->unit)
        t->unit = unit;
    if (is_aggregate(b)) {
        if (is_median(b) && !isnan(g)) {
            cell->rate = g;
            cell->median = true;
            t->repetitions = (int)number_field(b, "repetitions");
        }
    } else if (!cell->median && isnan(cell->rate)) {
        cell->rate = g;
    }
}

/* The fastest implementation in [lo, hi) of a row, or -1 when none has a number. */
static int best_of(const row_t *r, int lo, int hi)
{
    int best = -1;
    for (int i = lo; i < hi; i++)
        if (!r->cells[i].error && !isnan(r->cells[i].rate) && (best < 0 || r->cells[i].rate > r->cells[best].rate))
            best = i;
    return best;
}

/* Width of the shape column: the longest shape, at least as wide as the heading. */
static int shape_width(const table_t *t)
{
    int w = 22;
    for (int i = 0; i < t->nrows; i++)
        w = (int)strlen(t->rows[i].shape) > w ? (int)strlen(t->rows[i].shape) : w;
    return w;
}

static int column_width(const table_t *t, int i) { return strlen(t->impls[i]) > 9 ? (int)strlen(t->impls[i]) : 9; }

enum { WHO_WIDTH = 20 }; /* "(avx512 vs openblas)" */

/* The library our paired ratio is lowest against (the strongest, measured side by side), or -1. */
static int lowest_pair(const table_t *t, const row_t *r)
{
    int lowest = -1;
    for (int i = N_OURS; i < t->nimpls; i++)
        if (!isnan(r->pairs[i].ratio) && (lowest < 0 || r->pairs[i].ratio < r->pairs[lowest].ratio))
            lowest = i;
    return lowest;
}

static void print_row(const table_t *t, const row_t *r, FILE *out)
{
    fprintf(out, "%-*s %7d", shape_width(t), r->shape, r->threads);
    for (int k = 0; k < t->nimpls; k++) {
        const int i = t->columns[k];
        if (!t->has_impl[i])
            continue;
        const cell_t *c = &r->cells[i];
        const int w = column_width(t, i);
        if (c->error)
            fprintf(out, " %*s", w, "ERROR");
        else if (isnan(c->rate))
            fprintf(out, " %*s", w, "-");
        else
            fprintf(out, " %*.1f", w, c->rate);
    }
    const int ours = best_of(r, 0, N_OURS), peer = best_of(r, N_OURS, t->nimpls);
    char who[2 * sizeof t->impls[0] + 8] = "";
    if (ours >= 0 && peer >= 0 && r->cells[peer].rate > 0) {
        snprintf(who, sizeof who, "(%s vs %s)", t->impls[ours], t->impls[peer]);
        fprintf(out, "  %5.2f %-*s", r->cells[ours].rate / r->cells[peer].rate, WHO_WIDTH, who);
    } else {
        fprintf(out, "  %5s %-*s", "-", WHO_WIDTH, who);
    }
    const int lowest = lowest_pair(t, r);
    if (lowest >= 0) {
        const pair_t *p = &r->pairs[lowest];
        fprintf(out, "  %5.3f [%.3f-%.3f] %s", p->ratio, p->q1, p->q3, t->impls[lowest]);
    }
    fprintf(out, "\n");
}

static void print_table(const table_t *t, const char *json_path, FILE *out)
{
    const char *unit = t->unit ? t->unit : "GFLOP/s";
    fprintf(out, "\nsummary of %s\n", json_path);
    if (t->repetitions > 0)
        fprintf(out, "%s: median of %d repetitions (Google Benchmark's median aggregate)\n", unit, t->repetitions);
    else
        fprintf(out, "%s: one measurement per benchmark (use --benchmark_repetitions=N for medians)\n", unit);
    fprintf(out, "ours/peer: our fastest kernel / the fastest library (oneDNN in any layout, OpenBLAS, BLIS) on "
                 "the same row\n");
    if (t->has_pairs)
        fprintf(out, "paired: median [quartiles] of ours / library over rounds alternated side by side, against "
                     "the library it is lowest for\n");
    fprintf(out, "\n%-*s %7s", shape_width(t), "shape", "threads");
    for (int k = 0; k < t->nimpls; k++)
        if (t->has_impl[t->columns[k]])
            fprintf(out, " %*s", column_width(t, t->columns[k]), t->impls[t->columns[k]]);
    fprintf(out, "  ours/peer%s\n", t->has_pairs ? "                   paired" : "");
    for (int i = 0; i < t->nrows; i++)
        print_row(t, &t->rows[i], out);
    if (t->errors)
        fprintf(out, "\n%d benchmark(s) failed (ERROR above); their messages are in the report\n", t->errors);
}

static int by_order(const void *x, const void *y)
{
    const row_t *a = x, *b = y;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

/* Ours in their fixed places, then the libraries by registration (insertion sort: a handful). */
static void order_columns(table_t *t)
{
    for (int i = 0; i < t->nimpls; i++) {
        int j = i;
        for (; j > N_OURS && t->impl_family[t->columns[j - 1]] > t->impl_family[i]; j--)
            t->columns[j] = t->columns[j - 1];
        t->columns[j] = i;
    }
}

static gs_status_t fill_table(table_t *t, const char *json_path)
{
    char *text = read_text(json_path);
    if (!text)
        return gs_error(GS_EIO, "cannot read '%s': %s", json_path, strerror(errno));
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *list = root ? cJSON_GetObjectItemCaseSensitive(root, "benchmarks") : NULL;
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return gs_error(GS_EFORMAT, "'%s' is not a Google Benchmark JSON report (no \"benchmarks\" array)",
                        json_path);
    }
    const cJSON *b;
    cJSON_ArrayForEach(b, list) add_entry(t, b);
    cJSON_Delete(root);
    /* Registration order (shape by shape, 1 thread first), whatever order the repetitions ran in:
     * with random interleaving the report lists them shuffled. */
    qsort(t->rows, (size_t)t->nrows, sizeof t->rows[0], by_order);
    order_columns(t);
    return GS_OK;
}

gs_status_t gs_bench_summary_print(const char *json_path, FILE *out, int *n_errors)
{
    table_t *t = calloc(1, sizeof *t);
    if (!t)
        return gs_error(GS_ENOMEM, "bench summary: out of memory");
    gs_status_t st = fill_table(t, json_path);
    if (st == GS_OK) {
        print_table(t, json_path, out);
        if (n_errors)
            *n_errors = t->errors;
    }
    free(t);
    return st;
}
