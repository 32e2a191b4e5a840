/* alloc.c - malloc, free, calloc and realloc for the static musl build only
 * (the glibc and sanitizer builds keep libc's, so ASan still sees every
 * allocation). musl's general-purpose allocator is 9 KiB, a twentieth of
 * the binary; picoacme makes a few dozen allocations of fixed buffers per
 * run, which power-of-two size classes serve in a few hundred bytes of code.
 *
 * Blocks of up to ALLOC_CHUNK bytes come from mmap'd chunks and return to a
 * free list per class; larger ones are mapped and unmapped one by one. Small
 * blocks (up to 1 KiB) come in 16-byte steps, because the trust anchors are
 * hundreds of allocations of 100-600 bytes that power-of-two classes would
 * nearly double; above that classes are powers of two. Every block starts
 * with a 16-byte header holding its class (or mapping length), which keeps
 * payloads 16-byte aligned. Single-threaded, like picoacme. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define ALLOC_HDR 16
#define ALLOC_STEPS 64    /* classes 0-63: 16 to 1024 bytes, header included */
#define ALLOC_CLASSES 70  /* then 2, 4, ... 64 KiB */
#define ALLOC_CHUNK (64 * 1024)
#define ALLOC_LARGE 0xff  /* class byte of a block mapped on its own */

union block {
	union block *next_free;
	unsigned char hdr[ALLOC_HDR]; /* [0] class; size_t at [8] for large blocks */
};

static union block *free_list[ALLOC_CLASSES];
static unsigned char *chunk_pos, *chunk_end;

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t class_size(unsigned c)
{
	return c < ALLOC_STEPS ? (c + 1) * 16 : (size_t)1024 << (c - ALLOC_STEPS + 1);
}

static size_t block_size(const unsigned char *hdr)
{
	size_t len;

	if (hdr[0] != ALLOC_LARGE)
		return class_size(hdr[0]);
	memcpy(&len, hdr + 8, sizeof len);
	return len;
}

void *malloc(size_t n)
{
	unsigned char *b;
	unsigned c = 0;

	if (n > SIZE_MAX / 2 - ALLOC_CHUNK) {
		errno = ENOMEM;
		return NULL;
	}
	if (n + ALLOC_HDR <= 1024)
		c = (unsigned)((n + ALLOC_HDR + 15) / 16 - 1);
	else
		for (c = ALLOC_STEPS; c < ALLOC_CLASSES && class_size(c) < n + ALLOC_HDR; c++)
			;
	if (c == ALLOC_CLASSES) {
		size_t len = (n + ALLOC_HDR + 4095) & ~(size_t)4095;

		b = map(len);
		if (b == NULL)
			return NULL;
		b[0] = ALLOC_LARGE;
		memcpy(b + 8, &len, sizeof len);
		return b + ALLOC_HDR;
	}
	if (free_list[c] != NULL) {
		b = (unsigned char *)free_list[c];
		free_list[c] = free_list[c]->next_free;
	} else {
		size_t size = class_size(c);

		if (chunk_pos == NULL || (size_t)(chunk_end - chunk_pos) < size) {
			/* The rest of the old chunk is left unused: at most one
			 * block's worth, and untouched pages cost no memory. */
			chunk_pos = map(ALLOC_CHUNK);
			if (chunk_pos == NULL)
				return NULL;
			chunk_end = chunk_pos + ALLOC_CHUNK;
		}
		b = chunk_pos;
		chunk_pos += size;
	}
	b[0] = (unsigned char)c;
	return b + ALLOC_HDR;
}

void free(void *p)
{
	unsigned char *b;

	if (p == NULL)
		return;
	b = (unsigned char *)p - ALLOC_HDR;
	if (b[0] == ALLOC_LARGE) {
		munmap(b, block_size(b));
		return;
	}
	((union block *)b)->next_free = free_list[b[0]];
	free_list[b[0]] = (union block *)b;
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(n * size > 0 ? n * size : 1);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *p, size_t n)
{
	void *q;
	size_t have;

	if (p == NULL)
		return malloc(n);
	have = block_size((unsigned char *)p - ALLOC_HDR) - ALLOC_HDR;
	if (n <= have)
		return p;
	q = malloc(n);
	if (q != NULL) {
		memcpy(q, p, have);
		free(p);
	}
	return q;
}
