// POST /v1/bills/{id}/close: cancel an unpaid bill (DESIGN.md §7.7). Apps only.
#include "actors/bill_id.hpp"
#include "net/auth.hpp"
#include "net/handlers/handlers.hpp"

namespace unipay::handlers {

void close_bill(const CallPtr& call) {
  if (bearer_token(call->request)) return call->fail(Errc::forbidden, "a client token cannot close a bill");
  authenticate_app(call, [call] {
    const std::string& bill_id = call->params.at(0);
    if (!looks_like_bill_id(bill_id)) return call->fail(Errc::not_found, "no such bill");
    BillEvent event;
    event.kind = BillEventKind::close;
    event.app_id = call->app_id;
    call->api.bills->apply(bill_id, event, std::nullopt,
                           call->resume<EventResult>([call](Result<EventResult> r) {
                             if (!r) return call->fail(r.error());
                             call->reply(200, bill_envelope(r->bill));
                           }));
  });
}

}  // namespace unipay::handlers
