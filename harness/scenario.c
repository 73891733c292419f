/* Scenario config parsing with inih: a table of known keys, each with its type, range and setter. */
#include "harness/scenario.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gs_scenario_defaults(gs_scenario_t *s)
{
    memset(s, 0, sizeof *s);
    s->model = GS_MODEL_MLP;
    s->hidden_layers = 3;
    s->hidden_units = 128;
    s->activation = (gs_act_t){GS_ACT_SIGMOID, 0.0f};
    s->init = GS_INIT_NORMAL;
    s->init_std = 0.05f;
    s->bn_momentum = 0.1f;
    s->bn_eps = 1e-5f;
    s->custom_norm_eps = 1e-8f;
    s->aux_weight = 0.3f;
    s->lenet_conv1 = 20;
    s->lenet_conv2 = 50;
    s->lenet_fc = 500;
    s->loss = GS_LOSS_CE;
    s->opt = (gs_opt_t){.kind = GS_OPT_SGD, .lr = 0.01f, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f,
                        .eps = 1e-8f, .sdagd_r = 1.0f, .sdagd_decay = 0.9f};
    s->grad_noise_gamma = 0.55f;
    s->batch = 64;
    s->epochs = 15;
    s->reference_batch = 512;
    s->reference_epochs = 300;
    s->seed = 42;
    s->log_every = 100;
    s->procedure = GS_PROC_STANDARD;
    s->search_epochs = 3;
    s->max_epochs = 50;
    s->patience = 5;
    s->neuron_steps = 300;
}

typedef enum { K_INT, K_LONG, K_FLOAT, K_BOOL, K_TEXT, K_ENUM, K_INT_LIST, K_FLOAT_LIST, K_SKIPS, K_ACT } key_kind_t;

typedef struct {
    const char *key;
    key_kind_t kind;
    size_t offset, size;       /* field; for lists, the field of the values */
    size_t count_offset;       /* lists: the int that receives the count */
    double lo, hi;             /* accepted range of numbers */
    const char *const *names;  /* K_ENUM: accepted words, index = value */
} scenario_key_t;

static const char *const models[] = {"mlp", "lenet", "neuron", NULL};
static const char *const inits[] = {"normal", "lecun", "xavier", "he", NULL};
static const char *const norms[] = {"none", "batch", "custom", NULL};
static const char *const losses[] = {"ce", "mse", NULL};
static const char *const optimizers[] = {"sgd", "momentum", "adam", "sdagd", NULL};
static const char *const procedures[] = {"standard", "layerwise", "lr_search", "early_stopping", "neuron_l2_vs_ce", NULL};

#define F(field) offsetof(gs_scenario_t, field), sizeof(((gs_scenario_t *)0)->field)
#define O(field) offsetof(gs_scenario_t, opt.field), sizeof(float)

static const scenario_key_t keys[] = {
    {"name", K_TEXT, F(name), 0, 0, 0, NULL},
    {"description", K_TEXT, F(description), 0, 0, 0, NULL},
    {"section", K_TEXT, F(section), 0, 0, 0, NULL},
    {"model", K_ENUM, F(model), 0, 0, 0, models},
    {"hidden_layers", K_INT, F(hidden_layers), 0, 1, GS_SCENARIO_MAX_LAYERS, NULL},
    {"hidden_units", K_INT, F(hidden_units), 0, 1, 65536, NULL},
    {"activation", K_ACT, F(activation), 0, 0, 0, NULL},
    {"act_alpha", K_FLOAT, F(activation.alpha), 0, -100, 100, NULL},
    {"init", K_ENUM, F(init), 0, 0, 0, inits},
    {"init_std", K_FLOAT, F(init_std), 0, 0, 1000, NULL},
    {"norm", K_ENUM, F(norm), 0, 0, 0, norms},
    {"bn_momentum", K_FLOAT, F(bn_momentum), 0, 0, 1, NULL},
    {"bn_eps", K_FLOAT, F(bn_eps), 0, 0, 1, NULL},
    {"custom_norm_eps", K_FLOAT, F(custom_norm_eps), 0, 0, 1, NULL},
    {"grad_norm", K_BOOL, F(grad_norm), 0, 0, 0, NULL},
    {"skip", K_SKIPS, F(skip_from), offsetof(gs_scenario_t, nskips), 1, GS_SCENARIO_MAX_LAYERS, NULL},
    {"aux_heads", K_INT_LIST, F(aux_after), offsetof(gs_scenario_t, naux), 1, GS_SCENARIO_MAX_LAYERS, NULL},
    {"aux_weight", K_FLOAT, F(aux_weight), 0, 0, 100, NULL},
    {"lenet_conv1", K_INT, F(lenet_conv1), 0, 1, 4096, NULL},
    {"lenet_conv2", K_INT, F(lenet_conv2), 0, 1, 4096, NULL},
    {"lenet_fc", K_INT, F(lenet_fc), 0, 1, 65536, NULL},
    {"lenet_side_head", K_BOOL, F(lenet_side_head), 0, 0, 0, NULL},
    {"loss", K_ENUM, F(loss), 0, 0, 0, losses},
    {"optimizer", K_ENUM, offsetof(gs_scenario_t, opt.kind), sizeof(gs_opt_kind_t), 0, 0, 0, optimizers},
    {"lr", K_FLOAT, O(lr), 0, 0, 1000, NULL},
    {"momentum", K_FLOAT, O(momentum), 0, 0, 1, NULL},
    {"beta1", K_FLOAT, O(beta1), 0, 0, 1, NULL},
    {"beta2", K_FLOAT, O(beta2), 0, 0, 1, NULL},
    {"eps", K_FLOAT, O(eps), 0, 0, 1, NULL},
    {"sdagd_r", K_FLOAT, O(sdagd_r), 0, 1e-12, 1e12, NULL},
    {"sdagd_decay", K_FLOAT, O(sdagd_decay), 0, 0, 1, NULL},
    {"clip_norm", K_FLOAT, F(clip_norm), 0, 0, 1e12, NULL},
    {"grad_noise_eta", K_FLOAT, F(grad_noise_eta), 0, 0, 1e6, NULL},
    {"grad_noise_gamma", K_FLOAT, F(grad_noise_gamma), 0, 0, 10, NULL},
    {"batch", K_INT, F(batch), 0, 1, 1 << 20, NULL},
    {"epochs", K_INT, F(epochs), 0, 1, 100000, NULL},
    {"reference_batch", K_INT, F(reference_batch), 0, 1, 1 << 20, NULL},
    {"reference_epochs", K_INT, F(reference_epochs), 0, 1, 100000, NULL},
    {"seed", K_LONG, F(seed), 0, 0, 9.2e18, NULL},
    {"log_every", K_INT, F(log_every), 0, 1, 1 << 30, NULL},
    {"procedure", K_ENUM, F(procedure), 0, 0, 0, procedures},
    {"layer_groups", K_INT_LIST, F(layer_groups), offsetof(gs_scenario_t, ngroups), 1, GS_SCENARIO_MAX_LAYERS, NULL},
    {"lr_candidates", K_FLOAT_LIST, F(lr_candidates), offsetof(gs_scenario_t, nlr), 1e-9, 1000, NULL},
    {"search_epochs", K_INT, F(search_epochs), 0, 1, 100000, NULL},
    {"max_epochs", K_INT, F(max_epochs), 0, 1, 100000, NULL},
    {"patience", K_INT, F(patience), 0, 1, 100000, NULL},
    {"neuron_x", K_FLOAT, F(neuron_x), 0, -1e6, 1e6, NULL},
    {"neuron_y", K_FLOAT, F(neuron_y), 0, -1e6, 1e6, NULL},
    {"neuron_w", K_FLOAT, F(neuron_w), 0, -1e6, 1e6, NULL},
    {"neuron_b", K_FLOAT, F(neuron_b), 0, -1e6, 1e6, NULL},
    {"neuron_steps", K_INT, F(neuron_steps), 0, 1, 10000000, NULL},
};

/* What the inih callback fills: the scenario, and the first error's text (ini_parse gives its line). */
typedef struct {
    gs_scenario_t *s;
    char error[256];
} parse_ctx_t;

static bool parse_double(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
        return false;
    *out = d;
    return true;
}

static bool parse_integer(const char *v, double lo, double hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

/* "1,2, 3" -> numbers; false on a bad item, too many, or none. */
static bool parse_list(const char *v, bool integers, double lo, double hi, double *vals, int *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *e = tok + strlen(tok);
        while (e > tok && e[-1] == ' ')
            *--e = '\0';
        long i;
        if (*n == GS_SCENARIO_MAX_LIST)
            return false;
        if (integers ? !parse_integer(tok, lo, hi, &i) : !parse_double(tok, lo, hi, &vals[*n]))
            return false;
        if (integers)
            vals[*n] = (double)i;
        (*n)++;
    }
    return *n > 0;
}

/* "1-3,4-7": identity skips, the output of hidden layer FROM added to that of layer TO. */
static bool parse_skips(const char *v, gs_scenario_t *s)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    s->nskips = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int from, to, used = 0;
        if (s->nskips == GS_SCENARIO_MAX_LIST || sscanf(tok, " %d-%d %n", &from, &to, &used) != 2 || tok[used] ||
            from < 1 || to <= from || to > GS_SCENARIO_MAX_LAYERS)
            return false;
        s->skip_from[s->nskips] = from;
        s->skip_to[s->nskips++] = to;
    }
    return s->nskips > 0 || strcmp(v, "none") == 0;
}

static bool parse_enum(const char *v, const char *const *names, int *out)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return true;
        }
    return false;
}

/* Records why a value is bad; returns false for the caller to return. */
__attribute__((format(printf, 2, 3))) static bool fail(parse_ctx_t *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
    va_end(ap);
    return false;
}

/* Sets one key; on failure writes why into ctx->error and returns false. */
static bool set_key(parse_ctx_t *ctx, const scenario_key_t *k, const char *v)
{
    char *field = (char *)ctx->s + k->offset;
    double d, list[GS_SCENARIO_MAX_LIST];
    long l;
    int n, e;
    switch (k->kind) {
    case K_TEXT:
        if (strlen(v) >= k->size)
            return fail(ctx, "text longer than %zu characters", k->size - 1);
        snprintf(field, k->size, "%s", v);
        return true;
    case K_INT:
        if (!parse_integer(v, k->lo, k->hi, &l))
            return fail(ctx, "'%s' is not an integer in %.0f..%.0f", v, k->lo, k->hi);
        *(int *)field = (int)l;
        return true;
    case K_LONG:
        if (!parse_integer(v, k->lo, k->hi, &l))
            return fail(ctx, "'%s' is not an integer >= %.0f", v, k->lo);
        *(long *)field = l;
        return true;
    case K_FLOAT:
        if (!parse_double(v, k->lo, k->hi, &d))
            return fail(ctx, "'%s' is not a number in [%g, %g]", v, k->lo, k->hi);
        *(float *)field = (float)d;
        return true;
    case K_BOOL:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return fail(ctx, "'%s' is not true or false", v);
        *(bool *)field = strcmp(v, "true") == 0;
        return true;
    case K_ENUM:
        if (!parse_enum(v, k->names, &e)) {
            int len = snprintf(ctx->error, sizeof ctx->error, "'%s' is not one of", v);
            for (int i = 0; k->names[i] && len < (int)sizeof ctx->error; i++)
                len += snprintf(ctx->error + len, sizeof ctx->error - (size_t)len, " %s", k->names[i]);
            return false;
        }
        *(int *)field = e;
        return true;
    case K_ACT: {
        gs_act_kind_t kind;
        if (gs_act_parse(v, &kind) != GS_OK)
            return fail(ctx, "%s", gs_error_detail());
        ((gs_act_t *)field)->kind = kind;
        return true;
    }
    case K_SKIPS:
        if (!parse_skips(v, ctx->s))
            return fail(ctx, "'%s' is not a list like 1-3,4-7", v);
        return true;
    case K_INT_LIST:
    case K_FLOAT_LIST:
        if (!parse_list(v, k->kind == K_INT_LIST, k->lo, k->hi, list, &n))
            return fail(ctx, "'%s' is not a list of up to %d numbers in [%g, %g]", v,
                            GS_SCENARIO_MAX_LIST, k->lo, k->hi);
        for (int i = 0; i < n; i++) {
            if (k->kind == K_INT_LIST)
                ((int *)field)[i] = (int)list[i];
            else
                ((float *)field)[i] = (float)list[i];
        }
        *(int *)((char *)ctx->s + k->count_offset) = n;
        return true;
    }
    return false;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx_t *ctx = user;
    if (ctx->error[0])
        return 1; /* only the first error is reported */
    if (section[0]) {
        snprintf(ctx->error, sizeof ctx->error, "key '%s': sections ([%s]) are not used in scenario files", name, section);
        return 0;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(name, keys[i].key) != 0)
            continue;
        char why[256] = "";
        if (set_key(ctx, &keys[i], value))
            return 1;
        snprintf(why, sizeof why, "%s", ctx->error);
        if (snprintf(ctx->error, sizeof ctx->error, "key '%s': %s", name, why) >= (int)sizeof ctx->error)
            strcpy(ctx->error + sizeof ctx->error - 4, "..."); /* a message cut short says so */
        return 0;
    }
    snprintf(ctx->error, sizeof ctx->error, "unknown key '%s'", name);
    return 0;
}

/* Settings that are valid alone but not together. */
static gs_status_t check_consistency(const char *path, const gs_scenario_t *s)
{
    if (!s->name[0])
        return gs_error(GS_EFORMAT, "%s: key 'name' is missing", path);
    for (int i = 0; i < s->naux; i++)
        if (s->aux_after[i] >= s->hidden_layers)
            return gs_error(GS_EFORMAT, "%s: key 'aux_heads': layer %d is not below the %d hidden layers", path,
                            s->aux_after[i], s->hidden_layers);
    for (int i = 0; i < s->nskips; i++)
        if (s->skip_to[i] > s->hidden_layers)
            return gs_error(GS_EFORMAT, "%s: key 'skip': layer %d beyond the %d hidden layers", path, s->skip_to[i],
                            s->hidden_layers);
    if (s->procedure == GS_PROC_LAYERWISE) {
        int sum = 0;
        for (int i = 0; i < s->ngroups; i++)
            sum += s->layer_groups[i];
        if (sum != s->hidden_layers)
            return gs_error(GS_EFORMAT, "%s: key 'layer_groups': sums to %d, expected hidden_layers = %d", path, sum,
                            s->hidden_layers);
    }
    if (s->procedure == GS_PROC_LR_SEARCH && s->nlr == 0)
        return gs_error(GS_EFORMAT, "%s: key 'lr_candidates' is required by procedure = lr_search", path);
    return GS_OK;
}

gs_status_t gs_scenario_load(const char *path, gs_scenario_t *s)
{
    gs_scenario_defaults(s);
    FILE *f = fopen(path, "r");
    if (!f)
        return gs_error(GS_EIO, "%s: cannot open (%s)", path, strerror(errno));
    parse_ctx_t ctx = {.s = s};
    int line = ini_parse_file(f, on_key, &ctx);
    fclose(f);
    if (line != 0 && ctx.error[0])
        return gs_error(GS_EFORMAT, "%s:%d: %s", path, line, ctx.error);
    if (line != 0)
        return gs_error(GS_EFORMAT, "%s:%d: not a 'key = value' line", path, line);
    return check_consistency(path, s);
}

const char *gs_scenario_dir(void)
{
    const char *env = getenv("GRADSCOPE_SCENARIOS");
    return env && *env ? env : GS_SOURCE_DIR "/harness/scenarios";
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const gs_scenario_t *)a)->name, ((const gs_scenario_t *)b)->name);
}

gs_status_t gs_scenario_load_dir(const char *dir, gs_scenario_t **list, int *count)
{
    *list = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return gs_error(GS_EIO, "%s: cannot open the scenario folder (%s)", dir, strerror(errno));
    gs_status_t st = GS_OK;
    for (struct dirent *e; st == GS_OK && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
            continue;
        gs_scenario_t *grown = realloc(*list, (size_t)(*count + 1) * sizeof *grown);
        if (!grown) {
            st = gs_error(GS_ENOMEM, "scenarios: out of memory");
            break;
        }
        *list = grown;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        st = gs_scenario_load(path, &(*list)[*count]);
        if (st == GS_OK && strncmp((*list)[*count].name, e->d_name, len - 5) != 0)
            st = gs_error(GS_EFORMAT, "%s: name '%s' does not match the file name", path, (*list)[*count].name);
        if (st == GS_OK)
            (*count)++;
    }
    closedir(d);
    if (st != GS_OK) {
        free(*list);
        *list = NULL;
        *count = 0;
        return st;
    }
    qsort(*list, (size_t)*count, sizeof **list, by_name);
    return GS_OK;
}

gs_status_t gs_scenario_find(const char *name, gs_scenario_t *s)
{
    char path[4096];
    if (!name || !*name || strchr(name, '/'))
        return gs_error(GS_EINVAL, "scenario name '%s' is not a catalog name", name ? name : "");
    snprintf(path, sizeof path, "%s/%s.conf", gs_scenario_dir(), name);
    FILE *f = fopen(path, "r");
    if (!f)
        return gs_error(GS_EINVAL, "unknown scenario '%s' (no %s; see gradscope list)", name, path);
    fclose(f);
    return gs_scenario_load(path, s);
}

void gs_scenario_use_reference_recipe(gs_scenario_t *s)
{
    s->batch = s->reference_batch;
    s->epochs = s->reference_epochs;
}

const char *gs_procedure_name(gs_procedure_t p)
{
    return (unsigned)p < sizeof procedures / sizeof procedures[0] - 1 ? procedures[p] : "unknown";
}

/* The value of one key as JSON, read back through the same table that parsed it. */
static cJSON *key_json(const gs_scenario_t *s, const scenario_key_t *k)
{
    const char *field = (const char *)s + k->offset;
    switch (k->kind) {
    case K_TEXT: return cJSON_CreateString(field);
    case K_INT: return cJSON_CreateNumber(*(const int *)field);
    case K_LONG: return cJSON_CreateNumber((double)*(const long *)field);
    case K_FLOAT: return cJSON_CreateNumber(*(const float *)field);
    case K_BOOL: return cJSON_CreateBool(*(const bool *)field);
    case K_ENUM: return cJSON_CreateString(k->names[*(const int *)field]);
    case K_ACT: return cJSON_CreateString(gs_act_name(((const gs_act_t *)field)->kind));
    case K_SKIPS: {
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; i < s->nskips; i++) {
            char pair[32];
            snprintf(pair, sizeof pair, "%d-%d", s->skip_from[i], s->skip_to[i]);
            cJSON_AddItemToArray(a, cJSON_CreateString(pair));
        }
        return a;
    }
    case K_INT_LIST:
    case K_FLOAT_LIST: {
        cJSON *a = cJSON_CreateArray();
        const int n = *(const int *)((const char *)s + k->count_offset);
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber(k->kind == K_INT_LIST ? ((const int *)field)[i]
                                                                             : ((const float *)field)[i]));
        return a;
    }
    }
    return cJSON_CreateNull();
}

cJSON *gs_scenario_json(const gs_scenario_t *s)
{
    cJSON *j = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cJSON_AddItemToObject(j, keys[i].key, key_json(s, &keys[i]));
    return j;
}
