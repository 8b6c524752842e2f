// net/signed_body_source: a streamed answer's pieces pass unchanged and the last one
// carries X-Unipay-Signature equal to sign_response over the whole body.
#include "net/signed_body_source.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "net/signing.hpp"

namespace unipay {
namespace {

class ListSource : public http::BodySource {
 public:
  explicit ListSource(std::vector<std::string> pieces, bool fail_last = false)
      : pieces_(std::move(pieces)), fail_last_(fail_last) {}
  void next(PieceDone done) override {
    if (at_ + 1 == pieces_.size() && fail_last_) return done(std::nullopt);
    http::BodyPiece piece{pieces_[at_], at_ + 1 == pieces_.size(), {}};
    ++at_;
    done(std::move(piece));
  }

 private:
  std::vector<std::string> pieces_;
  size_t at_ = 0;
  bool fail_last_;
};

std::vector<http::BodyPiece> drain(http::BodySource& source) {
  std::vector<http::BodyPiece> out;
  for (bool more = true; more;) {
    source.next([&](std::optional<http::BodyPiece> piece) {
      more = piece && !piece->last;
      if (piece) out.push_back(std::move(*piece));
    });
  }
  return out;
}

// Proves: the body is unchanged, only the last piece has a trailer, and it is the
// signature a client computes over the whole body with the one-shot formula.
TEST(SignedBodySource, LastPieceCarriesTheWholeBodySignature) {
  auto signed_source =
      sign_body_source(std::make_shared<ListSource>(std::vector<std::string>{"a,b\r\n", "", "1,2\r\n"}),
                       "s3cret", 200, "nonce-0123456789abcdef");
  auto pieces = drain(*signed_source);
  ASSERT_EQ(pieces.size(), 3u);
  std::string body;
  for (const auto& p : pieces) body += p.data;
  EXPECT_EQ(body, "a,b\r\n1,2\r\n");
  EXPECT_TRUE(pieces[0].trailers.empty());
  ASSERT_EQ(pieces[2].trailers.size(), 1u);
  EXPECT_EQ(pieces[2].trailers[0].name, "x-unipay-signature");
  EXPECT_EQ(pieces[2].trailers[0].value,
            signing::sign_response("s3cret", 200, "nonce-0123456789abcdef", body));
  EXPECT_NE(pieces[2].trailers[0].value,
            signing::sign_response("s3cret", 200, "nonce-0123456789abcdef", "a,b\r\n"));
}

// Proves: a failing inner source fails through (no signature for a cut body).
TEST(SignedBodySource, FailurePassesThrough) {
  auto signed_source =
      sign_body_source(std::make_shared<ListSource>(std::vector<std::string>{"x", "y"}, true), "k", 200, "n");
  auto pieces = drain(*signed_source);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_TRUE(pieces[0].trailers.empty());
}

}  // namespace
}  // namespace unipay
