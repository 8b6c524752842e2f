// storage/write_failure: the SQLSTATE class of an op that failed alone decides its answer.
#include "storage/write_failure.hpp"

#include <gtest/gtest.h>

namespace unipay::storage {
namespace {

// Proves data exceptions (22) are invalid_parameter, constraint violations (23) conflict,
// and everything else (deadlock, serialization, cancel, shutdown, none, malformed)
// storage_write; no message carries the SQLSTATE.
TEST(WriteFailure, ClassifiedBySqlstateClass) {
  for (const char* state : {"22P05", "22001", "22021", "22003"}) {
    EXPECT_EQ(classify_write_failure(state).code, Errc::invalid_parameter) << state;
  }
  for (const char* state : {"23505", "23503", "23502", "23514", "23P01"}) {
    EXPECT_EQ(classify_write_failure(state).code, Errc::conflict) << state;
  }
  for (const char* state :
       {"40P01", "40001", "57014", "57P01", "42601", "08006", "", "22", "2300", "230000"}) {
    EXPECT_EQ(classify_write_failure(state).code, Errc::storage_write) << state;
  }
  for (const char* state : {"22P05", "23505", "40P01"}) {
    EXPECT_EQ(classify_write_failure(state).message.find(state), std::string::npos);
  }
}

}  // namespace
}  // namespace unipay::storage
