// Delivery URL parsing and the private-address rule (DESIGN.md §6), both pure.
#include <gtest/gtest.h>

#include "actors/delivery_transport.hpp"

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

}  // namespace
}  // namespace unipay
