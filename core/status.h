/* Status codes returned by every public gradscope function, and the detail message of the last error. */
#ifndef GS_STATUS_H
#define GS_STATUS_H

typedef enum {
    GS_OK = 0,
    GS_EINVAL,      /* bad argument: NULL pointer, negative size, leading dimension too small */
    GS_ENOMEM,      /* allocation failed */
    GS_EUNSUPPORTED,/* requested ISA or implementation not available on this CPU/build */
    GS_EIO,         /* file could not be read or written */
    GS_EFORMAT,     /* file or string has the wrong format */
    GS_EBACKEND,    /* oneDNN (or another library) reported an error */
    GS_ESTATUS_COUNT
} gs_status_t;

/* Short, fixed description of a status code ("invalid argument"). */
const char *gs_status_str(gs_status_t s);

/* Records a detailed message for the calling thread and returns `s`, so
 * call sites read `return gs_error(GS_EINVAL, "gemm: lda=%ld < K=%ld", ...)`. */
gs_status_t gs_error(gs_status_t s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The detailed message of the calling thread's last gs_error(), or "" if none. */
const char *gs_error_detail(void);

/* Forgets the calling thread's last detail message. */
void gs_error_clear(void);

#endif
