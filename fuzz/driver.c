/* Replays corpus files through a fuzz target without libFuzzer:
 *   fuzz/driver FILE...   prints "N inputs" and exits 0 unless a sanitizer
 * aborts. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	int n = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t len;

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		n++;
	}
	printf("%d inputs\n", n);
	return 0;
}
