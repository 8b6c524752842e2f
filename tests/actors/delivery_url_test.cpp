// Delivery URL parsing and the private-address rule (DESIGN.md §6), all pure: hosts are
// read the way the resolver reads them, so creation refuses what delivery would refuse.
#include "actors/delivery_url.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace unipay {
namespace {

ParsedUrl parsed(const std::string& url) {
  Result<ParsedUrl> result = parse_url(url);
  EXPECT_TRUE(result.ok()) << url << ": " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : ParsedUrl{};
}

// Proves: scheme, host, explicit port and path with query are split as sent.
TEST(ParseUrl, SplitsExplicitParts) {
  ParsedUrl url = parsed("http://game.example.com:8080/deliver?x=1&y=2");
  EXPECT_EQ(url.scheme, "http");
  EXPECT_EQ(url.host, "game.example.com");
  EXPECT_EQ(url.port, "8080");
  EXPECT_EQ(url.path_with_query, "/deliver?x=1&y=2");
}

// Proves: the scheme's default port applies and a missing path becomes "/".
TEST(ParseUrl, DefaultsPortAndPath) {
  ParsedUrl http = parsed("http://example.com");
  EXPECT_EQ(http.port, "80");
  EXPECT_EQ(http.path_with_query, "/");
  ParsedUrl https = parsed("HTTPS://example.com?q=1");
  EXPECT_EQ(https.scheme, "https");
  EXPECT_EQ(https.port, "443");
  EXPECT_EQ(https.path_with_query, "/?q=1");
  EXPECT_EQ(parsed("http://example.com/a#frag").path_with_query, "/a");
}

// Proves: bracketed IPv6 hosts lose their brackets and keep their port.
TEST(ParseUrl, AcceptsBracketedIpv6) {
  ParsedUrl url = parsed("http://[::1]:8080/x");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, "8080");
  EXPECT_EQ(url.path_with_query, "/x");
  ParsedUrl bare = parsed("https://[2001:db8::1]");
  EXPECT_EQ(bare.host, "2001:db8::1");
  EXPECT_EQ(bare.port, "443");
}

// Proves: other schemes, missing hosts, bad ports, credentials, spaces and malformed
// IPv6 literals are refused as invalid_parameter.
TEST(ParseUrl, RefusesBadUrls) {
  for (const char* url :
       {"ftp://example.com/", "file:///etc/passwd", "gopher://x", "example.com/x", "http://", "http:///path",
        "http://:80/", "http://host:0/", "http://host:65536/", "http://host:8a/", "http://host:/",
        "http://user:pw@host/", "http://ho st/", "http://host/a b", "http://host/\r\nX: y", "http://[::1/",
        "http://[zz::1]/", "http://::1/", "http://[::1]x/"}) {
    Result<ParsedUrl> result = parse_url(url);
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.error().code, Errc::invalid_parameter) << url;
  }
}

// Proves: loopback, RFC 1918, link-local, metadata and unspecified IPv4 are refused,
// including the edges of 172.16/12.
TEST(IsPrivateAddress, RefusesPrivateIpv4) {
  for (const char* address : {"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1",
                              "172.31.255.255", "192.168.1.1", "169.254.169.254", "169.254.0.1", "0.0.0.0",
                              "100.64.0.1", "224.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(is_private_address(address)) << address;
  }
  EXPECT_FALSE(is_private_address("172.15.255.255"));
  EXPECT_FALSE(is_private_address("172.32.0.0"));
}

// Proves: ::1, link-local, unique-local (with the EC2 metadata address), unspecified and
// IPv4-mapped private addresses are refused.
TEST(IsPrivateAddress, RefusesPrivateIpv6) {
  for (const char* address :
       {"::1", "::", "fe80::1", "fe80::1%eth0", "febf::1", "fc00::1", "fd00:ec2::254", "::ffff:127.0.0.1",
        "::ffff:10.1.2.3", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:7f00:1::", "ff02::1"}) {
    EXPECT_TRUE(is_private_address(address)) << address;
  }
}

// Proves: public addresses pass, in both families (also IPv4-mapped public).
TEST(IsPrivateAddress, AllowsPublicAddresses) {
  for (const char* address :
       {"8.8.8.8", "1.1.1.1", "203.0.114.1", "2001:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(is_private_address(address)) << address;
  }
}

// Proves: anything that is not a numeric address is refused (fail closed).
TEST(IsPrivateAddress, RefusesNonNumeric) {
  EXPECT_TRUE(is_private_address(""));
  EXPECT_TRUE(is_private_address("example.com"));
  EXPECT_TRUE(is_private_address("1.2.3"));
}

// Proves: every IPv4 literal form that inet_aton (and getaddrinfo) accepts is read as the
// address the resolver would connect to: 1 to 4 parts, decimal, octal, hex, any case.
TEST(ParseIpv4Literal, ReadsEveryResolverForm) {
  const std::pair<const char*, const char*> cases[] = {{"127.0.0.1", "127.0.0.1"},
                                                       {"127.1", "127.0.0.1"},
                                                       {"127.0.1", "127.0.0.1"},
                                                       {"0x7f000001", "127.0.0.1"},
                                                       {"0X7F000001", "127.0.0.1"},
                                                       {"2130706433", "127.0.0.1"},
                                                       {"0177.0.0.1", "127.0.0.1"},
                                                       {"0x7f.1", "127.0.0.1"},
                                                       {"127.0.0.01", "127.0.0.1"},
                                                       {"0", "0.0.0.0"},
                                                       {"00000000000000177.1", "127.0.0.1"},
                                                       {"10.1", "10.0.0.1"},
                                                       {"0xa9fea9fe", "169.254.169.254"},
                                                       {"4294967295", "255.255.255.255"},
                                                       {"192.168.257", "192.168.1.1"}};
  for (const auto& [text, expected] : cases) {
    auto address = parse_ipv4_literal(text);
    ASSERT_TRUE(address.has_value()) << text;
    in_addr want{};
    ASSERT_EQ(inet_pton(AF_INET, expected, &want), 1);
    EXPECT_EQ(*address, ntohl(want.s_addr)) << text;
  }
}

// Proves: what inet_aton refuses is no literal (the resolver would look it up as a name).
TEST(ParseIpv4Literal, RefusesWhatInetAtonRefuses) {
  for (const char* text :
       {"", ".", "127.0.0.1.", ".1", "1..2", "1.2.3.4.5", "08", "09.1", "0x", "0xg", "1a", "4294967296",
        "256.1.1.1", "1.65536.1", "1.1.16777216", "x1", "127.0.0.256", "99999999999999999999999"}) {
    EXPECT_FALSE(parse_ipv4_literal(text).has_value()) << text;
  }
}

// Literal-like text: 1 to 5 dot-separated parts, each an optional 0/0x prefix and a few
// digits or hex letters, so that many draws are valid literals of every form.
rc::Gen<std::string> literal_like() {
  const auto part = rc::gen::apply(
      [](std::string prefix, std::string digits) { return prefix + digits; },
      rc::gen::element<std::string>("", "0", "0x", "0X", "00"),
      rc::gen::resize(10,
                      rc::gen::container<std::string>(rc::gen::elementOf(std::string("0123456789abcdefF")))));
  return rc::gen::map(
      rc::gen::resize(5, rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(part))),
      [](const std::vector<std::string>& parts) {
        std::string out;
        for (const auto& p : parts) out += (out.empty() ? "" : ".") + p;
        return out;
      });
}

// Proves: on literal-like text and on any mix of digits, hex letters, x and dots, the
// reader agrees with the C library's inet_aton, which getaddrinfo uses for IPv4 literals.
RC_GTEST_PROP(ParseIpv4LiteralProperty, AgreesWithInetAton, ()) {
  const std::string text = *rc::gen::oneOf(
      literal_like(),
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("0123456789abcdefxX."))));
  in_addr libc{};
  const bool libc_ok = inet_aton(text.c_str(), &libc) != 0;
  const auto ours = parse_ipv4_literal(text);
  RC_TAG(libc_ok);
  RC_ASSERT(ours.has_value() == libc_ok);
  if (libc_ok) RC_ASSERT(*ours == ntohl(libc.s_addr));
}

// Proves: the forms the admin API accepted before (issue 7, item 7) are each read as the
// refused class the resolver would reach, and check_delivery_url refuses them unless
// private delivery is allowed.
TEST(CheckDeliveryUrl, RefusesEveryFormOfARefusedHost) {
  const std::pair<const char*, AddressClass> cases[] = {
      {"http://localhost/d", AddressClass::loopback},
      {"http://LOCALHOST/d", AddressClass::loopback},
      {"http://localhost./d", AddressClass::loopback},
      {"http://LocalHost.:8080/d", AddressClass::loopback},
      {"http://game.localhost/d", AddressClass::loopback},
      {"http://ip6-localhost/d", AddressClass::loopback},
      {"http://127.1/d", AddressClass::loopback},
      {"http://127.0.1:9000/d", AddressClass::loopback},
      {"http://0x7f000001/d", AddressClass::loopback},
      {"http://0X7F000001/d", AddressClass::loopback},
      {"http://2130706433/d", AddressClass::loopback},
      {"http://0177.0.0.1/d", AddressClass::loopback},
      {"http://0x7f.1/d", AddressClass::loopback},
      {"http://0/d", AddressClass::unspecified},
      {"http://0.0.0.0/d", AddressClass::unspecified},
      {"http://[::1]/d", AddressClass::loopback},
      {"http://[0:0:0:0:0:0:0:1]/d", AddressClass::loopback},
      {"http://[::]/d", AddressClass::unspecified},
      {"http://[::ffff:127.0.0.1]/d", AddressClass::loopback},
      {"http://[::FFFF:7F00:1]/d", AddressClass::loopback},
      {"http://[::ffff:10.0.0.1]/d", AddressClass::private_network},
      {"http://10.1/d", AddressClass::private_network},
      {"http://0xc0a80001/d", AddressClass::private_network},
      {"http://172.16.0.1/d", AddressClass::private_network},
      {"http://[fd12::1]/d", AddressClass::private_network},
      {"http://db.internal/d", AddressClass::private_network},
      {"http://169.254.1.1/d", AddressClass::link_local},
      {"http://[fe80::1]/d", AddressClass::link_local},
      {"http://printer.local/d", AddressClass::link_local},
      {"http://169.254.169.254/latest", AddressClass::metadata},
      {"http://0xa9fea9fe/latest", AddressClass::metadata},
      {"http://2852039166/latest", AddressClass::metadata},
      {"http://[fd00:ec2::254]/latest", AddressClass::metadata},
      {"http://[::ffff:169.254.169.254]/latest", AddressClass::metadata},
      {"http://Metadata.Google.Internal./x", AddressClass::metadata},
      {"http://224.0.0.1/d", AddressClass::reserved},
      {"http://255.255.255.255/d", AddressClass::reserved},
  };
  for (const auto& [url, expected] : cases) {
    auto host = read_host(parsed(url).host);
    ASSERT_TRUE(host.ok()) << url << ": " << host.error().message;
    EXPECT_EQ(host->address_class, expected) << url;
    Status refused = check_delivery_url(url, false);
    ASSERT_FALSE(refused.ok()) << url;
    EXPECT_EQ(refused.error().code, Errc::invalid_parameter) << url;
    EXPECT_NE(refused.error().message.find(std::string(describe(expected))), std::string::npos)
        << url << ": " << refused.error().message;
    EXPECT_TRUE(check_delivery_url(url, true).ok()) << url;
  }
}

// Proves: the refusal names the address a disguised literal stands for.
TEST(CheckDeliveryUrl, NamesTheAddressBehindALiteral) {
  Status refused = check_delivery_url("http://0x7f000001:8080/d", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "delivery URL: host \"0x7f000001\" is 127.0.0.1, a loopback address; such hosts need "
            "delivery.allow_private (--allow-private-delivery)");
}

// Proves: public names and addresses pass, whatever their case or trailing dot, and a
// public address written in another literal form passes as the address it is.
TEST(CheckDeliveryUrl, AcceptsPublicHosts) {
  for (const char* url : {"https://game.example.com/deliver", "https://GAME.Example.COM./deliver",
                          "http://8.8.8.8/d", "http://0x08080808/d", "http://134744072/d",
                          "https://[2606:4700::1111]/d", "http://localhost.example.com/d", "http://mylocal/d",
                          "http://xn--bcher-kva.example/d", "http://a-b_c.example/d"}) {
    Status checked = check_delivery_url(url, false);
    EXPECT_TRUE(checked.ok()) << url << ": " << (checked.ok() ? "" : checked.error().message);
  }
}

// Proves: hosts no resolver reads as written are refused even when private delivery is
// allowed: a numeric last label that is no IPv4 literal, and empty or oversized labels.
TEST(CheckDeliveryUrl, RefusesHostsThatNeverResolve) {
  const std::string long_label(64, 'a');
  for (const std::string& url : std::vector<std::string>{
           "http://127.0.0.1./d", "http://1.2.3.999/d", "http://08/d", "http://0x/d", "http://example.123/d",
           "http://a..b/d", "http://.example.com/d", "http://example.com../d",
           "http://" + long_label + ".com/d", "http://4294967296/d"}) {
    for (bool allow_private : {false, true}) {
      Status checked = check_delivery_url(url, allow_private);
      ASSERT_FALSE(checked.ok()) << url;
      EXPECT_EQ(checked.error().code, Errc::invalid_parameter) << url;
    }
  }
}

// Proves: the after-DNS check and the creation check share one classifier: every class
// but public is private, and a name (never an answer of the resolver) fails closed.
TEST(IsPrivateAddress, FollowsClassifyAddress) {
  EXPECT_EQ(classify_address("127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(classify_address("169.254.169.254"), AddressClass::metadata);
  EXPECT_EQ(classify_address("fe80::1%eth0"), AddressClass::link_local);
  EXPECT_EQ(classify_address("8.8.8.8"), AddressClass::public_address);
  EXPECT_FALSE(classify_address("localhost").has_value());
  EXPECT_FALSE(classify_address("127.1").has_value());  // never a resolver's answer
  EXPECT_TRUE(is_private_address("127.1"));
}

}  // namespace
}  // namespace unipay
