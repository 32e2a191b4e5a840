/* renew.c - see renew.h */
#include "renew.h"
#include "cert.h"
#include "json.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CERT_DER_MAX (16 * 1024)

/* ---- volatile state ---- */

static int state_path(char *out, size_t cap, const char *run_dir, const char *name)
{
	return (size_t)str_fmt(out, cap, "%s/%s.state", run_dir, name) >= cap ? -1 : 0;
}

void renew_state_load(const char *run_dir, const char *name, struct renew_state *st)
{
	char path[STORE_MAX_PATH], text[1024];
	size_t len = 0;
	char *line, *save = NULL;

	memset(st, 0, sizeof *st);
	st->ari = -1;
	if (state_path(path, sizeof path, run_dir, name) < 0)
		return;
	if (store_read(path, text, sizeof text, &len) != 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (eq == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(line, "cert_not_before") == 0)
			st->cert_not_before = str_to_i64(eq, NULL);
		else if (strcmp(line, "ari") == 0)
			st->ari = (int)str_to_i64(eq, NULL);
		else if (strcmp(line, "ari_next") == 0)
			st->ari_next = str_to_i64(eq, NULL);
		else if (strcmp(line, "renew_at") == 0)
			st->renew_at = str_to_i64(eq, NULL);
		else if (strcmp(line, "failures") == 0)
			st->failures = (int)str_to_i64(eq, NULL);
		else if (strcmp(line, "retry_at") == 0)
			st->retry_at = str_to_i64(eq, NULL);
		else if (strcmp(line, "last_error") == 0)
			sanitize(st->last_error, sizeof st->last_error, eq, strlen(eq));
	}
}

int renew_state_save(const char *run_dir, const char *name, const struct renew_state *st)
{
	char path[STORE_MAX_PATH], text[1024];
	int n;

	if (state_path(path, sizeof path, run_dir, name) < 0 || store_mkdirs(run_dir, 0700) < 0)
		return -1;
	n = str_fmt(text, sizeof text,
		     "cert_not_before=%lld\nari=%d\nari_next=%lld\nrenew_at=%lld\nfailures=%d\n"
		     "retry_at=%lld\nlast_error=%s\n",
		     (long long)st->cert_not_before, st->ari, (long long)st->ari_next,
		     (long long)st->renew_at, st->failures, (long long)st->retry_at, st->last_error);
	if (n < 0 || (size_t)n >= sizeof text)
		return -1;
	return store_write(path, text, (size_t)n, 0600);
}

/* ---- what is installed ---- */

struct installed {
	int present;
	struct cert_info ci;
	char ari_id[256];
	int has_ari_id;
};

static int load_installed(const char *dir, const char *name, struct installed *in)
{
	unsigned char *der = malloc(CERT_DER_MAX);
	int len, ret = -1;

	memset(in, 0, sizeof *in);
	if (der == NULL) {
		err("out of memory");
		return -1;
	}
	len = read_installed_cert(dir, name, der, CERT_DER_MAX);
	if (len < 0)
		goto out;
	if (len > 0) {
		if (cert_validity(der, (size_t)len, &in->ci) < 0) {
			err("%s/%s/cert.pem: cannot read its validity", dir, name);
			goto out;
		}
		in->present = 1;
		in->has_ari_id = cert_ari_id(der, (size_t)len, in->ari_id, sizeof in->ari_id) > 0;
	}
	ret = 0;
out:
	free(der);
	return ret;
}

static int clock_ok(int64_t now, const struct installed *in)
{
	char t[32];

	if (now >= build_time() && (!in->present || now >= in->ci.not_before))
		return 1;
	time_format(now, t, sizeof t);
	err("the system clock is not set (it reads %s): doing nothing", t);
	return 0;
}

/* ---- the due decision ---- */

enum { NOT_DUE, DUE, DUE_ERROR };

static int64_t lifetime_mark(const struct installed *in, int divisor)
{
	return in->ci.not_after - (in->ci.not_after - in->ci.not_before) / divisor;
}

/* When the certificate is due by the rules that need no network. */
static int64_t due_offline(const struct cert_settings *s, const struct installed *in,
			   const struct renew_state *st)
{
	int64_t t;

	if (s->days > 0)
		return in->ci.not_after - (int64_t)s->days * 86400;
	t = st->ari == 1 ? st->renew_at : lifetime_mark(in, 3);
	return t < lifetime_mark(in, 6) ? t : lifetime_mark(in, 6);
}

/* Asks the CA for the renewal window. A failure is an error of this run;
 * the check is tried again an hour later. 0 or -1. */
static int ari_check(struct run *r, const struct cert_settings *s, const struct installed *in,
		     struct renew_state *st, int64_t now)
{
	int64_t start, end;
	long retry_after = -1;

	if (run_directory(r, s->server) < 0) {
		st->ari_next = now + 3600;
		return -1;
	}
	if (!r->ca.has_ari || !in->has_ari_id) {
		st->ari = 0;
		st->ari_next = now + 24 * 3600;
		return 0;
	}
	if (ca_renewal_info(&r->ca, in->ari_id, &start, &end, &retry_after) < 0) {
		st->ari_next = now + 3600;
		return -1;
	}
	/* One uniformly random moment per window; a changed window picks anew. */
	if (st->ari != 1 || st->renew_at < start || st->renew_at > end) {
		uint64_t rnd = 0;

		key_random(&rnd, sizeof rnd);
		st->renew_at = end > start ? start + (int64_t)(rnd % (uint64_t)(end - start + 1)) : start;
	}
	st->ari = 1;
	if (retry_after <= 0)
		retry_after = RENEW_DEFAULT_ARI_RECHECK_S;
	if (retry_after < 60)
		retry_after = 60;
	if (retry_after > 24 * 3600)
		retry_after = 24 * 3600;
	st->ari_next = now + retry_after;
	vmsg("%s: ARI window %lld..%lld, renewing at %lld", s->names[0], (long long)start,
	     (long long)end, (long long)st->renew_at);
	return 0;
}

static int decide(struct run *r, const struct cert_settings *s, const struct installed *in,
		  struct renew_state *st, int64_t now, int *changed)
{
	if (!in->present)
		return DUE;
	if (st->cert_not_before != in->ci.not_before) {
		memset(st, 0, sizeof *st);
		st->ari = -1;
		st->cert_not_before = in->ci.not_before;
		*changed = 1;
	}
	if (st->retry_at > now) {
		char t[32];

		time_format(st->retry_at, t, sizeof t);
		msg("%s: last attempt failed; next attempt after %s", s->names[0], t);
		return NOT_DUE;
	}
	if (s->days == 0 && now < lifetime_mark(in, 6) && st->ari_next <= now) {
		*changed = 1;
		if (ari_check(r, s, in, st, now) < 0)
			return now >= due_offline(s, in, st) ? DUE : DUE_ERROR;
	}
	return now >= due_offline(s, in, st) ? DUE : NOT_DUE;
}

/* After an attempt: forget failures, or back off exponentially (honouring
 * the CA's Retry-After) and warn when expiry is close. */
static void record_result(struct run *r, const struct cert_settings *s, const struct installed *in,
			  struct renew_state *st, int64_t now, int ok)
{
	int64_t wait;

	if (ok) {
		char path[STORE_MAX_PATH];

		if (state_path(path, sizeof path, r->o->run_dir, s->names[0]) == 0)
			unlink(path);
		return;
	}
	st->failures++;
	wait = (int64_t)RENEW_BACKOFF_BASE_S << (st->failures > 9 ? 9 : st->failures - 1);
	if (wait > RENEW_BACKOFF_MAX_S)
		wait = RENEW_BACKOFF_MAX_S;
	if (r->ca_ready && r->ca.retry_after > wait)
		wait = r->ca.retry_after;
	st->retry_at = now + wait;
	sanitize(st->last_error, sizeof st->last_error,
		 r->ca_ready && r->ca.last_error[0] ? r->ca.last_error : "see the log",
		 sizeof r->ca.last_error);
	if (in->present) {
		st->cert_not_before = in->ci.not_before;
		if (now >= lifetime_mark(in, 6)) {
			char t[32];

			time_format(in->ci.not_after, t, sizeof t);
			crit("%s: renewal failed and the certificate expires %s%s", s->names[0], t,
			     now >= in->ci.not_after ? " (already expired)" : "");
		}
	}
	renew_state_save(r->o->run_dir, s->names[0], st);
}

/* Nothing due: only the published links are checked (and mended). */
static int nothing_due(const struct run *r, const struct cert_settings *s)
{
	if (s->publish[0] && store_publish(r->o->dir, s->names[0], s->publish) < 0)
		return EXIT_ERROR;
	return EXIT_NOTHING_DUE;
}

static int renew_one(struct run *r, const char *name, int64_t now)
{
	static struct cert_settings s;
	struct installed in;
	struct renew_state st;
	int changed = 0, due, ok;

	if (settings_load(r->o->dir, name, &s) < 0 || load_installed(r->o->dir, name, &in) < 0)
		return EXIT_ERROR;
	if (r->o->days > 0)
		s.days = r->o->days;
	if (!clock_ok(now, &in))
		return EXIT_ERROR;
	renew_state_load(r->o->run_dir, name, &st);
	due = r->o->force ? DUE : decide(r, &s, &in, &st, now, &changed);
	if (due == DUE_ERROR) {
		renew_state_save(r->o->run_dir, name, &st);
		return EXIT_ERROR;
	}
	if (due == NOT_DUE) {
		if (changed)
			renew_state_save(r->o->run_dir, name, &st);
		if (st.retry_at <= now) {
			char t[32];

			time_format(due_offline(&s, &in, &st), t, sizeof t);
			msg("%s: not due (renew from %s)", name, t);
		}
		return nothing_due(r, &s);
	}
	msg("%s: renewing", name);
	ok = run_issue(r, &s, in.present && in.has_ari_id && st.ari == 1 ? in.ari_id : NULL,
		       in.present ? &in.ci : NULL) == 0;
	record_result(r, &s, &in, &st, now, ok);
	return ok ? EXIT_ISSUED : EXIT_ERROR;
}

struct renew_ctx {
	struct run *r;
	int64_t now;
	int issued, errors;
};

static int renew_cb(void *ctx, const char *name)
{
	struct renew_ctx *c = ctx;
	int rc = renew_one(c->r, name, c->now);

	c->issued += rc == EXIT_ISSUED;
	c->errors += rc == EXIT_ERROR;
	return 0;
}

int renew_all(struct run *r, const char *const *only, size_t nonly)
{
	struct renew_ctx c = { r, wall_now(), 0, 0 };

	if (c.now < build_time()) {
		struct installed none = { 0 };

		clock_ok(c.now, &none);
		return EXIT_ERROR;
	}
	if (nonly > 0) {
		for (size_t i = 0; i < nonly; i++)
			renew_cb(&c, only[i]);
	} else if (store_each_cert(r->o->dir, renew_cb, &c) < 0) {
		return EXIT_ERROR;
	}
	if (c.errors)
		return EXIT_ERROR;
	return c.issued ? EXIT_ISSUED : EXIT_NOTHING_DUE;
}

int issue_one(struct run *r, const struct cert_settings *s)
{
	static struct cert_settings old;
	struct installed in;
	struct renew_state st;
	int64_t now = wall_now();
	int same = 0, changed = 0, ok;

	if (load_installed(r->o->dir, s->names[0], &in) < 0)
		return EXIT_ERROR;
	if (!clock_ok(now, &in))
		return EXIT_ERROR;
	if (in.present) {
		char path[STORE_MAX_PATH];
		struct stat sst;

		str_fmt(path, sizeof path, "%s/%s/settings", r->o->dir, s->names[0]);
		same = stat(path, &sst) == 0 && settings_load(r->o->dir, s->names[0], &old) == 0 &&
		       settings_same_certificate(&old, s);
	}
	renew_state_load(r->o->run_dir, s->names[0], &st);
	if (same && !r->o->force) {
		int due = decide(r, s, &in, &st, now, &changed);

		if (changed)
			renew_state_save(r->o->run_dir, s->names[0], &st);
		if (due == DUE_ERROR)
			return EXIT_ERROR;
		if (due == NOT_DUE) {
			msg("%s: an identical certificate is installed and not due (--force to "
			    "issue anyway)", s->names[0]);
			return nothing_due(r, s);
		}
	}
	ok = run_issue(r, s, same && in.has_ari_id && st.ari == 1 ? in.ari_id : NULL,
		       in.present ? &in.ci : NULL) == 0;
	if (same || !ok)
		record_result(r, s, &in, &st, now, ok);
	return ok ? EXIT_ISSUED : EXIT_ERROR;
}

/* ---- status ---- */

struct status_ctx {
	const struct run_opts *o;
	int json;
	int n;
	int errors;
	struct jw w;
};

static int status_cb(void *ctx, const char *name)
{
	static struct cert_settings s;
	struct status_ctx *c = ctx;
	struct installed in;
	struct renew_state st;
	char na[32] = "-", due[32] = "-";

	if (settings_load(c->o->dir, name, &s) < 0 || load_installed(c->o->dir, name, &in) < 0) {
		c->errors++;
		return 0;
	}
	renew_state_load(c->o->run_dir, name, &st);
	if (st.cert_not_before != in.ci.not_before) {
		memset(&st, 0, sizeof st);
		st.ari = -1;
	}
	if (in.present) {
		time_format(in.ci.not_after, na, sizeof na);
		time_format(st.retry_at > due_offline(&s, &in, &st) ? st.retry_at : due_offline(&s, &in, &st),
			 due, sizeof due);
	}
	if (!c->json) {
		out_fmt("%s names=", name);
		for (size_t i = 0; i < s.nnames; i++)
			out_fmt("%s%s", i ? "," : "", s.names[i]);
		out_fmt(" not_after=%s due=%s%s%s\n", na, due, st.last_error[0] ? " last_error=" : "",
			st.last_error);
		return 0;
	}
	jw_obj_begin(&c->w);
	jw_key(&c->w, "name");
	jw_str(&c->w, name);
	jw_key(&c->w, "names");
	jw_arr_begin(&c->w);
	for (size_t i = 0; i < s.nnames; i++)
		jw_str(&c->w, s.names[i]);
	jw_arr_end(&c->w);
	jw_key(&c->w, "not_after");
	jw_str(&c->w, na);
	jw_key(&c->w, "due");
	jw_str(&c->w, due);
	jw_key(&c->w, "failures");
	jw_int(&c->w, st.failures);
	jw_key(&c->w, "last_error");
	jw_str(&c->w, st.last_error);
	jw_obj_end(&c->w);
	return 0;
}

int status_all(const struct run_opts *o, int json)
{
	static char buf[1 << 20];
	struct status_ctx c = { .o = o, .json = json };

	jw_init(&c.w, buf, sizeof buf);
	jw_arr_begin(&c.w);
	if (store_each_cert(o->dir, status_cb, &c) < 0)
		return 1;
	jw_arr_end(&c.w);
	if (json) {
		if (jw_finish(&c.w) < 0) {
			err("status does not fit in %zu bytes", sizeof buf);
			return 1;
		}
		out_str(buf);
		out_str("\n");
	}
	return c.errors ? 1 : 0;
}
