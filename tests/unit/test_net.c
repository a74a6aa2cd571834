/* net: the client network of an address (IPv4 as is, IPv6 as its /64). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/net.h"

static void test_client(void **state)
{
	(void)state;
	static const struct {
		const char *addr;
		int rc;
		const char *net;
	} cases[] = {
		{"192.0.2.7", 0, "192.0.2.7"},
		{"127.0.0.1", 0, "127.0.0.1"},
		{"2001:db8:1:2:3:4:5:6", 0, "2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", 0, "2001:db8:1:2::/64"},
		{"2001:DB8:1:2:aaaa:bbbb:cccc:dddd", 0, "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", 0, "2001:db8:1:3::/64"},
		{"::1", 0, "::/64"},
		{"fe80::1", 0, "fe80::/64"},
		{"::ffff:192.0.2.7", 0, "192.0.2.7"},
		{"", -1, ""},
		{"192.0.2", -1, ""},
		{"192.0.2.7/24", -1, ""},
		{"2001:db8::1%eth0", -1, ""},
		{"example.org", -1, ""},
		{NULL, -1, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[NET_CLIENT_LEN];

		assert_int_equal(net_client(cases[i].addr, out), cases[i].rc);
		assert_string_equal(out, cases[i].net);
	}
}

/* Two addresses of one /64 are one network; of two /64s, two. */
static void test_same_network(void **state)
{
	char a[NET_CLIENT_LEN], b[NET_CLIENT_LEN], c[NET_CLIENT_LEN];

	(void)state;
	assert_int_equal(net_client("2001:db8:aa:bb:1::1", a), 0);
	assert_int_equal(net_client("2001:db8:aa:bb:ffff:ffff:ffff:ffff", b), 0);
	assert_int_equal(net_client("2001:db8:aa:bc::1", c), 0);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_same_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
