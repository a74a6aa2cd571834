/*
 * net: the client network of an address, the unit that rate limits and
 * abuse caps count (DESIGN.md: "an IPv6 client network is its /64").
 */
#ifndef BOXOFFICE_NET_H
#define BOXOFFICE_NET_H

#include <stddef.h>

/* Room for the longest answer: a full IPv6 /64 plus "/64" and NUL. */
#define NET_CLIENT_LEN 64

/*
 * The client network of addr (a numeric IPv4 or IPv6 address, as nginx
 * passes REMOTE_ADDR) into out: an IPv4 address as it is ("192.0.2.7"),
 * an IPv4-mapped IPv6 address as its IPv4 address, any other IPv6
 * address as its /64 in canonical form ("2001:db8:1:2::/64"). Returns
 * 0, or -1 when addr is not a numeric address (out is then "").
 */
int net_client(const char *addr, char out[NET_CLIENT_LEN]);

#endif
