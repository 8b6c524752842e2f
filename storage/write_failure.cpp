// See write_failure.hpp.
#include "storage/write_failure.hpp"

namespace unipay::storage {

Error classify_write_failure(std::string_view sqlstate) {
  // A SQLSTATE is five characters; its first two are the class.
  if (sqlstate.size() == 5 && sqlstate.starts_with("22")) {
    return make_error(Errc::invalid_parameter, "the request holds a value that cannot be stored");
  }
  if (sqlstate.size() == 5 && sqlstate.starts_with("23")) {
    return make_error(Errc::conflict, "the request conflicts with data already stored");
  }
  return make_error(Errc::storage_write, "the write failed and was not saved; retry with the same request");
}

}  // namespace unipay::storage
