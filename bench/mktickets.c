/*
 * mktickets: print N ticket tokens with the hashes the database stores, for
 * `make bench` to create confirmed tickets it can scan:
 *
 *	<ticket token> <confirm token hash> <ticket token hash>
 *
 * (hashes as \x... bytea literals). The confirm tokens themselves are thrown
 * away: the benchmark only scans.
 */
#include "../lib/tok.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	if (n <= 0 || sodium_init() < 0) {
		fprintf(stderr, "usage: mktickets N\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		char confirm[TOK_LEN + 1], ticket[TOK_LEN + 1];
		char ch[TOK_HASH_HEX_LEN + 1], th[TOK_HASH_HEX_LEN + 1];

		if (tok_new(confirm) < 0 || tok_derive_ticket(confirm, ticket) < 0 ||
		    tok_hash_hex(confirm, ch) < 0 || tok_hash_hex(ticket, th) < 0)
			return 1;
		printf("%s %s %s\n", ticket, ch, th);
	}
	return 0;
}
