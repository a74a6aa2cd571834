/*
 * fuzz: what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one file with LLVMFuzzerTestOneInput; `make fuzz` builds
 * it with clang (-fsanitize=fuzzer,address,undefined, leak checking on) and
 * runs it over tests/fuzz/corpus/<target>/. A target must be deterministic
 * and free everything it allocates; a broken invariant is an abort() with
 * a line on stderr saying which.
 */
#ifndef BOXOFFICE_FUZZ_H
#define BOXOFFICE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop with a message when an invariant does not hold. */
#define FUZZ_CHECK(cond)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

/*
 * Split data[0..size) at every byte sep into at most max fields, each
 * copied NUL-terminated into one malloc'd block (returned; free() it).
 * Missing fields are "" with length 0; the last field takes the rest.
 * A field may contain NUL bytes when sep is not NUL: lens[] has the true
 * lengths.
 */
static inline char *fuzz_split(const uint8_t *data, size_t size, char sep,
			       int max, const char **fields, size_t *lens)
{
	char *copy = malloc(size + (size_t)max + 1);
	size_t start = 0, o = 0;
	int n = 0;

	if (copy == NULL)
		abort();
	for (int i = 0; i < max; i++) {
		fields[i] = "";
		lens[i] = 0;
	}
	for (size_t i = 0; i <= size && n < max; i++) {
		if (i < size && (data[i] != (uint8_t)sep || n == max - 1))
			continue;
		fields[n] = copy + o;
		lens[n] = i - start;
		memcpy(copy + o, data + start, i - start);
		o += i - start;
		copy[o++] = '\0';
		n++;
		start = i + 1;
	}
	return copy;
}

#endif
