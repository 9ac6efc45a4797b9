/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "basic/json.h"
#include "basic/parse-util.h"
#include "basic/qmp.h"
#include "basic/strbuf.h"
#include "basic/time-util.h"

/* ---- JSON reader ---- */

struct reader {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static void value_release(struct json_value *v)
{
	free(v->string);
	for (size_t i = 0; i < v->n; i++) {
		value_release(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

void json_value_free(struct json_value *v)
{
	if (!v)
		return;
	value_release(v);
	free(v);
}

static int hex4(const char *p, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -EBADMSG;
	}
	*ret = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	char b[4];

	if (cp < 0x80) {
		strbuf_putc(sb, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		strbuf_putn(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		strbuf_putn(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		strbuf_putn(sb, b, 4);
	}
}

static int parse_string(struct reader *r, char **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

	if (r->p >= r->end || *r->p != '"')
		return -EBADMSG;
	r->p++;
	for (;;) {
		unsigned char c;

		if (r->p >= r->end)
			return -EBADMSG;
		c = (unsigned char)*r->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return -EBADMSG;
		if (c != '\\') {
			strbuf_putc(&sb, (char)c);
			continue;
		}
		if (r->p >= r->end)
			return -EBADMSG;
		c = (unsigned char)*r->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			strbuf_putc(&sb, (char)c);
			break;
		case 'b':
			strbuf_putc(&sb, '\b');
			break;
		case 'f':
			strbuf_putc(&sb, '\f');
			break;
		case 'n':
			strbuf_putc(&sb, '\n');
			break;
		case 'r':
			strbuf_putc(&sb, '\r');
			break;
		case 't':
			strbuf_putc(&sb, '\t');
			break;
		case 'u': {
			unsigned cp, lo;

			if (r->end - r->p < 4 || hex4(r->p, &cp) < 0)
				return -EBADMSG;
			r->p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate must be followed by its low half. */
				if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
				    hex4(r->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -EBADMSG;
				r->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -EBADMSG;
			}
			if (cp == 0)
				return -EBADMSG;
			put_utf8(&sb, cp);
			break;
		}
		default:
			return -EBADMSG;
		}
	}
	return strbuf_steal(&sb, ret);
}

static int parse_number(struct reader *r, struct json_value *v)
{
	const char *s = r->p;
	char buf[400];
	bool integral = true;
	int64_t i;
	size_t l;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return -EBADMSG;
	if (*r->p == '0')
		r->p++;
	else
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	if (r->p < r->end && *r->p == '.') {
		integral = false;
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -EBADMSG;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		integral = false;
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return -EBADMSG;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	l = (size_t)(r->p - s);
	if (l >= sizeof(buf))
		return -EBADMSG;
	memcpy(buf, s, l);
	buf[l] = '\0';
	v->type = JSON_NUMBER;
	/*
	 * strtod() stays, the one strto*() outside parse-util: the reader above has held buf
	 * to JSON's number grammar (no blanks, no '+', no hex, no inf or nan), so none of
	 * strtod()'s leniency is reachable, and a fraction or an exponent needs its correctly
	 * rounded decimal-to-double conversion, not a digit loop.
	 */
	v->number = strtod(buf, NULL);
	/* Integral and within int64_t: the exact value too (QMP's sizes and ids). */
	if (integral && safe_atoi64(buf, &i) >= 0) {
		v->is_integer = true;
		v->integer = i;
	}
	return 0;
}

static int parse_value(struct reader *r, struct json_value *v);

static int grow_items(struct json_value *v, size_t *alloc, bool with_keys)
{
	size_t na;
	struct json_value *ni;

	if (v->n < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 4;
	ni = realloc(v->items, na * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	v->items = ni;
	if (with_keys) {
		char **nk = realloc(v->keys, na * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		v->keys = nk;
	}
	*alloc = na;
	return 0;
}

static int parse_container(struct reader *r, struct json_value *v, bool object)
{
	size_t alloc = 0;
	int k;

	if (++r->depth > JSON_PARSE_MAX_DEPTH)
		return -EBADMSG;
	v->type = object ? JSON_OBJECT : JSON_ARRAY;
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == (object ? '}' : ']')) {
		r->p++;
		r->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		skip_ws(r);
		if (object) {
			k = parse_string(r, &key);
			if (k < 0)
				return k;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':') {
				free(key);
				return -EBADMSG;
			}
			r->p++;
		}
		k = grow_items(v, &alloc, object);
		if (k < 0) {
			free(key);
			return k;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (object)
			v->keys[v->n] = key;
		/* Counted before parsing so a failure below frees the partial member too. */
		v->n++;
		k = parse_value(r, &v->items[v->n - 1]);
		if (k < 0)
			return k;
		skip_ws(r);
		if (r->p >= r->end)
			return -EBADMSG;
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p == (object ? '}' : ']')) {
			r->p++;
			break;
		}
		return -EBADMSG;
	}
	r->depth--;
	return 0;
}

static int parse_literal(struct reader *r, const char *lit)
{
	size_t l = strlen(lit);

	if ((size_t)(r->end - r->p) < l || memcmp(r->p, lit, l) != 0)
		return -EBADMSG;
	r->p += l;
	return 0;
}

static int parse_value(struct reader *r, struct json_value *v)
{
	skip_ws(r);
	if (r->p >= r->end)
		return -EBADMSG;
	switch (*r->p) {
	case '{':
		return parse_container(r, v, true);
	case '[':
		return parse_container(r, v, false);
	case '"':
		v->type = JSON_STRING;
		return parse_string(r, &v->string);
	case 't':
		v->type = JSON_BOOL;
		v->boolean = true;
		return parse_literal(r, "true");
	case 'f':
		v->type = JSON_BOOL;
		return parse_literal(r, "false");
	case 'n':
		v->type = JSON_NULL;
		return parse_literal(r, "null");
	default:
		return parse_number(r, v);
	}
}

int json_parse(const char *text, size_t len, struct json_value **ret)
{
	struct reader r = {.p = text, .end = text + len};
	struct json_value *v;
	int k;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	k = parse_value(&r, v);
	if (k >= 0) {
		skip_ws(&r);
		if (r.p != r.end)
			k = -EBADMSG;
	}
	if (k < 0) {
		json_value_free(v);
		return k;
	}
	*ret = v;
	return 0;
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (size_t i = v->n; i > 0; i--)
		if (streq(v->keys[i - 1], key))
			return &v->items[i - 1];
	return NULL;
}

const char *json_get_string(const struct json_value *v, const char *key)
{
	const struct json_value *m = json_get(v, key);

	return m && m->type == JSON_STRING ? m->string : NULL;
}

bool json_get_int(const struct json_value *v, const char *key, int64_t *ret)
{
	const struct json_value *m = json_get(v, key);

	if (!m || m->type != JSON_NUMBER || !m->is_integer)
		return false;
	*ret = m->integer;
	return true;
}

/* ---- QMP client ---- */

/* A QMP message longer than this is not one we asked for. */
#define QMP_MAX_LINE (4u << 20)

struct qmp {
	int fd;
	struct strbuf in; /* received bytes not yet consumed */
	size_t consumed;
	char *error;
	char **events;
	size_t n_events;
	unsigned id;
	/* While connecting (qmp_connect_watch()): descriptors that cancel the wait. */
	const int *watch;
	size_t n_watch;
};

static void set_error(struct qmp *q, const char *fmt, ...) _printf_(2, 3);
static void set_error(struct qmp *q, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(q->error);
	q->error = s;
}

struct qmp *qmp_new_for_test(void)
{
	struct qmp *q = calloc(1, sizeof(*q));

	if (q)
		q->fd = -1;
	return q;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	strbuf_release(&q->in);
	free(q->error);
	for (size_t i = 0; i < q->n_events; i++)
		free(q->events[i]);
	free(q->events);
	free(q);
}

const char *qmp_error(const struct qmp *q)
{
	return q->error ? q->error : "no error";
}

bool qmp_saw_event(const struct qmp *q, const char *event)
{
	for (size_t i = 0; i < q->n_events; i++)
		if (streq(q->events[i], event))
			return true;
	return false;
}

static void remember_event(struct qmp *q, const char *name)
{
	char **n;

	if (qmp_saw_event(q, name) || q->n_events >= 64)
		return;
	n = realloc(q->events, (q->n_events + 1) * sizeof(*n));
	if (!n)
		return;
	q->events = n;
	n[q->n_events] = strdup(name);
	if (n[q->n_events])
		q->n_events++;
}

/* Take one complete line from the buffer, parsed; 0 and NULL if none is complete yet. */
static int take_message(struct qmp *q, struct json_value **ret)
{
	for (;;) {
		const char *start = q->in.buf ? q->in.buf + q->consumed : NULL;
		size_t avail = q->in.len - q->consumed;
		const char *nl = start ? memchr(start, '\n', avail) : NULL;
		size_t l;
		int r;

		if (!nl) {
			if (avail > QMP_MAX_LINE) {
				set_error(q, "QMP message longer than %u bytes", QMP_MAX_LINE);
				return -EMSGSIZE;
			}
			/* Compact the buffer so it does not grow with consumed lines. */
			if (q->consumed && start) {
				memmove(q->in.buf, start, avail);
				q->in.len = avail;
				q->in.buf[avail] = '\0';
				q->consumed = 0;
			}
			*ret = NULL;
			return 0;
		}
		l = (size_t)(nl - start);
		q->consumed += l + 1;
		while (l > 0 && (start[l - 1] == '\r' || start[l - 1] == ' '))
			l--;
		if (l == 0)
			continue;
		r = json_parse(start, l, ret);
		if (r < 0) {
			set_error(q, "malformed QMP message");
			return r;
		}
		if ((*ret)->type != JSON_OBJECT) {
			json_value_free(*ret);
			*ret = NULL;
			set_error(q, "QMP message is not an object");
			return -EBADMSG;
		}
		return 1;
	}
}

int qmp_feed_for_test(struct qmp *q, const char *data, size_t len, struct json_value **ret)
{
	strbuf_putn(&q->in, data, len);
	if (q->in.err)
		return q->in.err;
	return take_message(q, ret);
}

/* At most the socket and this many watched descriptors are polled together. */
#define QMP_MAX_WATCH 4

/*
 * Next message within the deadline; -ECONNRESET on EOF; -ECANCELED when one of q->watch
 * is readable (or hung up) first.
 */
static int read_message(struct qmp *q, long long deadline, struct json_value **ret)
{
	for (;;) {
		char buf[4096];
		struct pollfd pfd[1 + QMP_MAX_WATCH] = {{.fd = q->fd, .events = POLLIN}};
		long long left;
		ssize_t n;
		int r;

		r = take_message(q, ret);
		if (r != 0)
			return r;
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		/* A negative fd is ignored by poll(): unused watch slots cost nothing. */
		for (size_t i = 0; i < QMP_MAX_WATCH; i++) {
			pfd[1 + i].fd = i < q->n_watch ? q->watch[i] : -1;
			pfd[1 + i].events = POLLIN;
		}
		r = poll(pfd, 1 + QMP_MAX_WATCH, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (r == 0)
			return -ETIMEDOUT;
		for (size_t i = 0; i < q->n_watch; i++)
			if (pfd[1 + i].revents)
				return -ECANCELED;
		n = read(q->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return negative_errno();
		}
		if (n == 0)
			return -ECONNRESET;
		strbuf_putn(&q->in, buf, (size_t)n);
		if (q->in.err)
			return q->in.err;
	}
}

static int write_all(int fd, const char *s, size_t l)
{
	while (l > 0) {
		ssize_t n = send(fd, s, l, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		s += n;
		l -= (size_t)n;
	}
	return 0;
}

/* Detach "return" from a reply so the rest can be freed. */
static int take_return(struct json_value *msg, struct json_value **ret)
{
	struct json_value *m = (struct json_value *)json_get(msg, "return");
	struct json_value *copy;

	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	*copy = *m;
	memset(m, 0, sizeof(*m));
	*ret = copy;
	return 0;
}

int qmp_execute(struct qmp *q, const char *command, const char *arguments, int timeout_ms,
		struct json_value **ret)
{
	_cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
	long long deadline = now_ms() + timeout_ms;
	unsigned id = ++q->id;
	int r;

	if (q->fd < 0)
		return -ENOTCONN;
	strbuf_puts(&sb, "{\"execute\":");
	json_escape(&sb, command);
	if (arguments)
		strbuf_printf(&sb, ",\"arguments\":%s", arguments);
	strbuf_printf(&sb, ",\"id\":%u}\n", id);
	if (sb.err)
		return sb.err;
	r = write_all(q->fd, sb.buf, sb.len);
	if (r == -EPIPE)
		r = -ECONNRESET;
	if (r < 0) {
		set_error(q, "cannot send to QEMU: %s", strerror(-r));
		return r;
	}
	for (;;) {
		_cleanup_json_ struct json_value *msg = NULL;
		const struct json_value *err;
		const char *ev;
		int64_t rid;

		r = read_message(q, deadline, &msg);
		if (r == -ECONNRESET)
			set_error(q, "QEMU closed the connection");
		else if (r == -ETIMEDOUT)
			set_error(q, "no reply from QEMU to '%s'", command);
		if (r < 0)
			return r;
		ev = json_get_string(msg, "event");
		if (ev) {
			remember_event(q, ev);
			continue;
		}
		/* Replies to other ids (none expected) and the greeting are not ours. */
		if (json_get_int(msg, "id", &rid) && rid != (int64_t)id)
			continue;
		err = json_get(msg, "error");
		if (err) {
			const char *desc = json_get_string(err, "desc");

			set_error(q, "%s",
				  desc ? desc : "QEMU reported an error without a description");
			return -EREMOTEIO;
		}
		if (json_get(msg, "return")) {
			if (!ret)
				return 0;
			return take_return(msg, ret);
		}
	}
}

int qmp_wait_close(struct qmp *q, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		_cleanup_json_ struct json_value *msg = NULL;
		const char *ev;
		int r = read_message(q, deadline, &msg);

		if (r == -ECONNRESET)
			return 0;
		if (r == -EBADMSG || r == -EMSGSIZE)
			continue;
		if (r < 0)
			return r;
		ev = json_get_string(msg, "event");
		if (ev)
			remember_event(q, ev);
	}
}

int qmp_connect_watch(const char *path, int timeout_ms, const int *watch, size_t n_watch,
		      struct qmp **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long long deadline = now_ms() + timeout_ms;
	_cleanup_json_ struct json_value *greeting = NULL;
	struct qmp *q;
	long long left;
	int r;

	if (n_watch > QMP_MAX_WATCH)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	q = qmp_new_for_test();
	if (!q)
		return -ENOMEM;
	q->watch = watch;
	q->n_watch = n_watch;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		r = negative_errno();
		goto fail;
	}
	/* A listening socket queues the connection: this returns at once, QEMU ready or not. */
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = negative_errno();
		goto fail;
	}
	r = read_message(q, deadline, &greeting);
	if (r < 0)
		goto fail;
	if (!json_get(greeting, "QMP")) {
		r = -EPROTO;
		goto fail;
	}
	left = deadline - now_ms();
	left = left < 0 ? 0 : left > INT_MAX ? INT_MAX : left;
	r = qmp_execute(q, "qmp_capabilities", NULL, (int)left, NULL);
	if (r < 0)
		goto fail;
	/* The watched descriptors belong to the caller, and only to this wait. */
	q->watch = NULL;
	q->n_watch = 0;
	*ret = q;
	return 0;
fail:
	qmp_close(q);
	return r;
}

int qmp_connect(const char *path, int timeout_ms, struct qmp **ret)
{
	return qmp_connect_watch(path, timeout_ms, NULL, 0, ret);
}

int qmp_listen(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	/*
	 * Bound at the path itself, not renamed into place: the name the socket reports
	 * (QEMU's query-chardev, ss -x, and the unlink QEMU does on a clean exit) is the path.
	 */
	if ((unlink(path) < 0 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = negative_errno();
	/*
	 * Owner only before anyone can connect (that takes listen()), without touching the
	 * process's umask. QEMU needs no access to the node: it inherits the descriptor.
	 */
	else if (chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
		r = negative_errno();
		(void)unlink(path);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}
