#include "net/signed_body_source.hpp"

#include <utility>

#include "net/crypto.hpp"
#include "net/signing.hpp"

namespace unipay {
namespace {

class SignedBodySource : public http::BodySource, public std::enable_shared_from_this<SignedBodySource> {
 public:
  SignedBodySource(std::shared_ptr<http::BodySource> inner, std::string secret, int status, std::string nonce)
      : inner_(std::move(inner)), secret_(std::move(secret)), status_(status), nonce_(std::move(nonce)) {}

  // Pieces are asked for one at a time (BodySource), so the hash sees them in order.
  void next(PieceDone done) override {
    inner_->next([self = shared_from_this(), done = std::move(done)](std::optional<http::BodyPiece> piece) {
      if (piece) {
        self->body_hash_.update(piece->data);
        if (piece->last) {
          piece->trailers.push_back({std::string(kSignatureHeader),
                                     signing::sign_response_digest(self->secret_, self->status_, self->nonce_,
                                                                   self->body_hash_.hex())});
        }
      }
      done(std::move(piece));
    });
  }

 private:
  std::shared_ptr<http::BodySource> inner_;
  std::string secret_;
  int status_;
  std::string nonce_;
  crypto::Sha256Stream body_hash_;
};

}  // namespace

std::shared_ptr<http::BodySource> sign_body_source(std::shared_ptr<http::BodySource> inner,
                                                   std::string secret, int status, std::string nonce) {
  return std::make_shared<SignedBodySource>(std::move(inner), std::move(secret), status, std::move(nonce));
}

}  // namespace unipay
