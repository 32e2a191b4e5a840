/* store.c - see store.h */
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store_path(char *out, size_t cap, const char *dir, const char *name)
{
	int n = str_fmt(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int store_mkdirs(const char *path, mode_t mode)
{
	char tmp[STORE_MAX_PATH];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof tmp) {
		err("%s: path too long", path);
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST) {
			err("%s: cannot create directory: %s", tmp, strerror(errno));
			return -1;
		}
		if (i < len)
			tmp[i] = '/';
	}
	return 0;
}

int store_read(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = -1, ret = -1;
	size_t n = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			ret = 1;
			goto out;
		}
		err("%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			err("%s: file too large (limit %zu bytes)", path, cap - 1);
			goto out;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err("%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int fsync_dir_of(const char *path)
{
	char d[STORE_MAX_PATH];
	char *slash;
	int fd, ret;

	if (str_copy(d, sizeof d, path) < 0)
		return -1;
	slash = strrchr(d, '/');
	if (slash == NULL)
		memcpy(d, ".", 2);
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

int store_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[STORE_MAX_PATH];
	const char *p = data;
	int fd = -1, ret = -1;
	int n = str_fmt(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof tmp) {
		err("%s: path too long", path);
		return -1;
	}
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		err("%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	/* umask must not widen or narrow what we asked for. */
	if (fchmod(fd, mode) < 0)
		goto io_fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto io_fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto io_fail;
	if (close(fd) < 0) {
		fd = -1;
		goto io_fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto io_fail;
	fsync_dir_of(path);
	ret = 0;
	goto out;
io_fail:
	err("%s: write failed: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp);
	return ret;
}

int store_account_dir(char *out, size_t cap, const char *dir, const char *directory_url)
{
	char id[256];
	const char *s = directory_url;
	size_t n = 0;

	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	for (; *s && n + 1 < sizeof id; s++) {
		char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-')
			id[n++] = c;
		else
			id[n++] = '_';
	}
	if (*s != '\0' || n == 0)
		return -1;
	id[n] = '\0';
	if (id[0] == '.')
		id[0] = '_';
	n = (size_t)str_fmt(out, cap, "%s/accounts/%s", dir, id);
	return n >= cap ? -1 : 0;
}

/* Removes the files of a generation directory and the directory itself. */
static void remove_generation(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char f[STORE_MAX_PATH];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (store_path(f, sizeof f, path, e->d_name) == 0)
			unlink(f);
	}
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT)
		err("%s: cannot remove old generation: %s", path, strerror(errno));
}

int store_install(const char *dir, const char *name, const struct cert_files *f)
{
	char link[STORE_MAX_PATH], target[STORE_MAX_PATH], old[STORE_MAX_PATH];
	char gen[STORE_MAX_PATH], gen_name[300], tmp_link[STORE_MAX_PATH], file[STORE_MAX_PATH];
	unsigned long next = 1;
	ssize_t tl;
	struct stat st;
	int ret = -1;
	size_t full_len = strlen(f->fullchain),
	       leaf_len = f->leaf_len < full_len ? f->leaf_len : full_len;
	const struct {
		const char *name;
		const char *data;
		size_t len;
		mode_t mode;
	} files[] = {
		{ "key.pem", f->key, strlen(f->key), 0600 },
		{ "cert.pem", f->fullchain, leaf_len, 0644 },
		{ "chain.pem", f->fullchain + leaf_len, full_len - leaf_len, 0644 },
		{ "fullchain.pem", f->fullchain, full_len, 0644 },
		{ "settings", f->settings, strlen(f->settings), 0600 },
	};

	old[0] = gen[0] = '\0';
	if (store_path(link, sizeof link, dir, name) < 0)
		goto too_long;
	if (lstat(link, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			err("%s: exists and is not a picoacme certificate link; move it away", link);
			goto out;
		}
		tl = readlink(link, target, sizeof target - 1);
		if (tl > 0) {
			const char *g;
			size_t prefix = strlen(name) + 3;

			target[tl] = '\0';
			g = strrchr(target, 'g');
			if ((size_t)tl > prefix && g != NULL)
				next = (unsigned long)str_to_i64(g + 1, NULL) + 1;
			if (store_path(old, sizeof old, dir, target) < 0)
				old[0] = '\0';
		}
	}
	if ((size_t)str_fmt(gen_name, sizeof gen_name, ".%s.g%lu", name, next) >= sizeof gen_name ||
	    store_path(gen, sizeof gen, dir, gen_name) < 0 ||
	    (size_t)str_fmt(tmp_link, sizeof tmp_link, "%s/.%s.link", dir, name) >= sizeof tmp_link)
		goto too_long;
	remove_generation(gen); /* leftover of a crash before the link flipped */
	if (mkdir(gen, 0700) < 0) {
		err("%s: cannot create directory: %s", gen, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (store_path(file, sizeof file, gen, files[i].name) < 0)
			goto too_long;
		if (store_write(file, files[i].data, files[i].len, files[i].mode) < 0)
			goto out;
	}
	unlink(tmp_link);
	if (symlink(gen_name, tmp_link) < 0 || rename(tmp_link, link) < 0) {
		err("%s: cannot publish new certificate: %s", link, strerror(errno));
		unlink(tmp_link);
		goto out;
	}
	fsync_dir_of(link);
	if (old[0] != '\0' && strcmp(old, gen) != 0)
		remove_generation(old);
	ret = 0;
	goto out;
too_long:
	err("%s/%s: path too long", dir, name);
out:
	if (ret < 0 && gen[0] != '\0' && (old[0] == '\0' || strcmp(old, gen) != 0))
		remove_generation(gen);
	return ret;
}

/* ---- settings ---- */

int settings_add_name(struct cert_settings *s, const char *name)
{
	size_t used = 0, len = strlen(name);

	if (s->nnames > 0)
		used = (size_t)(s->names[s->nnames - 1] - s->names_buf) +
		       strlen(s->names[s->nnames - 1]) + 1;
	if (s->nnames >= STORE_MAX_NAMES || len == 0 || len > STORE_MAX_NAME ||
	    used + len + 1 > sizeof s->names_buf)
		return -1;
	memcpy(s->names_buf + used, name, len + 1);
	s->names[s->nnames++] = s->names_buf + used;
	return 0;
}

static const struct field {
	const char *key;
	size_t off;
	size_t cap;
} fields[] = {
#define F(k, m) { k, offsetof(struct cert_settings, m), sizeof(((struct cert_settings *)0)->m) }
	F("server", server),
	F("key_type", key_type),
	F("challenge", challenge),
	F("webroot", webroot),
	F("http_listen", http_listen),
	F("email", email),
	F("profile", profile),
	F("hook", hook),
	F("preferred_chain", preferred_chain),
#undef F
};

void settings_init(struct cert_settings *s)
{
	/* Empty strings, not a memset of the 26 KiB name buffer: pages that are
	 * never written never cost RAM. */
	s->nnames = 0;
	s->days = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		((char *)s + fields[i].off)[0] = '\0';
}

int settings_format(const struct cert_settings *s, char *out, size_t cap)
{
	size_t n;
	int w;

	w = str_fmt(out, cap, "names=");
	if (w < 0 || (size_t)w >= cap)
		return -1;
	n = (size_t)w;
	for (size_t i = 0; i < s->nnames; i++) {
		w = str_fmt(out + n, cap - n, "%s%s", i ? " " : "", s->names[i]);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	w = str_fmt(out + n, cap - n, "\n");
	if (w < 0 || (size_t)w >= cap - n)
		return -1;
	n += (size_t)w;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = (const char *)s + fields[i].off;

		if (*v == '\0')
			continue;
		w = str_fmt(out + n, cap - n, "%s=%s\n", fields[i].key, v);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	if (s->days > 0) {
		w = str_fmt(out + n, cap - n, "days=%d\n", s->days);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
	}
	return (int)n;
}

static int parse_names(struct cert_settings *s, const char *v, size_t vl)
{
	size_t i = 0;

	while (i < vl) {
		char name[STORE_MAX_NAME + 1];
		size_t start;

		while (i < vl && v[i] == ' ')
			i++;
		start = i;
		while (i < vl && v[i] != ' ')
			i++;
		if (i == start)
			break;
		if (i - start > STORE_MAX_NAME)
			return -1;
		memcpy(name, v + start, i - start);
		name[i - start] = '\0';
		if (settings_add_name(s, name) < 0)
			return -1;
	}
	return 0;
}

int settings_parse(struct cert_settings *s, const char *text, size_t len, const char *path)
{
	size_t pos = 0;
	int line = 0;

	settings_init(s);
	while (pos < len) {
		const char *l = text + pos, *eq, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos, kl, vl;

		pos += ll + (nl != NULL);
		line++;
		if (ll == 0 || l[0] == '#')
			continue;
		eq = memchr(l, '=', ll);
		for (size_t i = 0; i < ll; i++)
			if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
				goto bad;
		if (eq == NULL)
			goto bad;
		kl = (size_t)(eq - l);
		vl = ll - kl - 1;
		if (kl == 5 && memcmp(l, "names", 5) == 0) {
			if (parse_names(s, eq + 1, vl) < 0)
				goto bad;
			continue;
		}
		if (kl == 4 && memcmp(l, "days", 4) == 0) {
			char num[8];

			if (vl == 0 || vl >= sizeof num)
				goto bad;
			memcpy(num, eq + 1, vl);
			num[vl] = '\0';
			{
				const char *end;
				int64_t d = str_to_i64(num, &end);

				if (*end != '\0' || d < 0 || d > 3650)
					goto bad;
				s->days = (int)d;
			}
			continue;
		}
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
			char *dst = (char *)s + fields[i].off;

			if (strlen(fields[i].key) != kl || memcmp(l, fields[i].key, kl) != 0)
				continue;
			if (vl >= fields[i].cap)
				goto bad;
			memcpy(dst, eq + 1, vl);
			dst[vl] = '\0';
		}
		/* Unknown keys come from newer versions and are ignored. */
	}
	if (s->nnames == 0 || s->server[0] == '\0') {
		err("%s: no names or no server recorded", path);
		return -1;
	}
	return 0;
bad:
	err("%s: line %d is malformed", path, line);
	return -1;
}

int settings_same_certificate(const struct cert_settings *a, const struct cert_settings *b)
{
	if (a->nnames != b->nnames || strcmp(a->server, b->server) != 0 ||
	    strcmp(a->key_type, b->key_type) != 0 || strcmp(a->profile, b->profile) != 0)
		return 0;
	for (size_t i = 0; i < a->nnames; i++)
		if (strcmp(a->names[i], b->names[i]) != 0)
			return 0;
	return 1;
}

int settings_load(const char *dir, const char *name, struct cert_settings *s)
{
	char path[STORE_MAX_PATH];
	char *text = malloc(STORE_MAX_SETTINGS);
	size_t len = 0;
	int rc, ret = -1;

	if (text == NULL) {
		err("out of memory");
		return -1;
	}
	if ((size_t)str_fmt(path, sizeof path, "%s/%s/settings", dir, name) >= sizeof path) {
		err("%s/%s: path too long", dir, name);
		goto out;
	}
	rc = store_read(path, text, STORE_MAX_SETTINGS, &len);
	if (rc == 1)
		err("%s: missing; is %s/%s a picoacme certificate?", path, dir, name);
	if (rc != 0)
		goto out;
	ret = settings_parse(s, text, len, path);
out:
	free(text);
	return ret;
}
