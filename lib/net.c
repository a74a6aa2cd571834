/*
 * net: client networks. One person on IPv6 usually has a whole /64 (and
 * privacy extensions pick a new address in it every day, or at will), so
 * counting /128s would give one attacker 2^64 "visitors".
 */
#include "net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int net_client(const char *addr, char out[NET_CLIENT_LEN])
{
	unsigned char a6[16];
	struct in_addr a4;
	char s[INET6_ADDRSTRLEN];
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};

	out[0] = '\0';
	if (addr == NULL)
		return -1;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, NET_CLIENT_LEN) ? 0 : -1;
	if (inet_pton(AF_INET6, addr, a6) != 1)
		return -1;
	if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
		memcpy(&a4, a6 + 12, 4);
		return inet_ntop(AF_INET, &a4, out, NET_CLIENT_LEN) ? 0 : -1;
	}
	memset(a6 + 8, 0, 8);
	if (inet_ntop(AF_INET6, a6, s, sizeof(s)) == NULL)
		return -1;
	snprintf(out, NET_CLIENT_LEN, "%s/64", s);
	return 0;
}
