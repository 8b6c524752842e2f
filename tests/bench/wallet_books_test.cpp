// The wallet bench's books check (bench/wallet_books.cpp): it must pass books that match
// what the bench was told, and name each kind of fault the bench exists to catch: a lost
// operation, one applied twice, money no operation made, a broken chain, a wrong balance or
// held amount, and figures that break available = balance - held.
#include "bench/wallet_books.hpp"

#include <gtest/gtest.h>

namespace unipay::bench {
namespace {

// A model of credit 100 (a), debit 30 (b), capture 20 (c) and one hold of 10 still open,
// and the ledger the server should have for it.
struct Books {
  AccountModel model;
  std::vector<LedgerEntry> ledger{{1, "a", 100, 0, 100}, {2, "b", -30, 100, 70}, {3, "c", -20, 70, 50}};
  AccountFigures figures{50, 10, 40};
  Books() {
    model.entry("a", 100);
    model.entry("b", -30);
    model.entry("c", -20);
    model.hold_opened(10);
  }
};

uint64_t faults(const BooksCheck& c) { return c.lost + c.duplicated + c.unexpected + c.mismatches; }

// Proves matching books pass: no fault of any kind.
TEST(WalletBooksTest, MatchingBooksPass) {
  Books b;
  EXPECT_EQ(faults(check_books(b.model, b.figures, b.ledger)), 0u);
}

// Proves an acknowledged operation missing from the ledger is counted as lost.
TEST(WalletBooksTest, MissingEntryIsLost) {
  Books b;
  b.ledger.pop_back();
  b.figures = {70, 10, 60};
  BooksCheck c = check_books(b.model, b.figures, b.ledger);
  EXPECT_EQ(c.lost, 1u);
  EXPECT_GE(c.mismatches, 1u);  // the balance is not what the model says
}

// Proves an op_id with a second entry is counted as duplicated.
TEST(WalletBooksTest, SecondEntryOfOneOpIsDuplicated) {
  Books b;
  b.ledger.push_back({4, "b", -30, 50, 20});
  b.figures = {20, 10, 10};
  EXPECT_EQ(check_books(b.model, b.figures, b.ledger).duplicated, 1u);
}

// Proves an entry no acknowledged operation made (money invented) is counted.
TEST(WalletBooksTest, EntryOfUnknownOpIsUnexpected) {
  Books b;
  b.ledger.push_back({4, "zz", 5, 50, 55});
  b.figures = {55, 10, 45};
  EXPECT_EQ(check_books(b.model, b.figures, b.ledger).unexpected, 1u);
}

// Proves a broken chain and a wrong entry arithmetic are mismatches even when the sum fits.
TEST(WalletBooksTest, BrokenChainIsMismatch) {
  Books b;
  b.ledger[1].balance_before = 99;
  EXPECT_GE(check_books(b.model, b.figures, b.ledger).mismatches, 1u);
  Books c;
  c.ledger[2].balance_after = 51;
  EXPECT_GE(check_books(c.model, c.figures, c.ledger).mismatches, 1u);
}

// Proves figures against the model: another held amount, or available not balance - held.
TEST(WalletBooksTest, HeldAndAvailableAreChecked) {
  Books b;
  b.figures = {50, 0, 50};
  EXPECT_EQ(check_books(b.model, b.figures, b.ledger).mismatches, 1u);
  EXPECT_FALSE(figures_consistent({50, 10, 50}));
  EXPECT_FALSE(figures_consistent({5, 10, -5}));  // an overdraft of available
  EXPECT_TRUE(figures_consistent({50, 10, 40}));
}

// Proves an account with an operation of unknown outcome is still held to the books' own
// rules (chain, sum) but not to the model, which cannot know that operation.
TEST(WalletBooksTest, UnresolvedAccountChecksChainOnly) {
  Books b;
  b.model.unresolved();
  b.ledger.push_back({4, "maybe", 5, 50, 55});
  b.figures = {55, 10, 45};
  EXPECT_EQ(faults(check_books(b.model, b.figures, b.ledger)), 0u);
  b.figures = {60, 10, 50};
  EXPECT_EQ(check_books(b.model, b.figures, b.ledger).mismatches, 1u);
}

}  // namespace
}  // namespace unipay::bench
