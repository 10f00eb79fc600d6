#include "common/currency.h"

#include <algorithm>
#include <cstdint>

#include "common/assert.h"

namespace issuerd {

const std::vector<Currency>& all_currencies() {
  // ISO 4217 active codes with their exponents. USDT is not ISO 4217: it is carried
  // with 6 decimals, the precision of the Tether token itself, so no deposit is rounded.
  static const std::vector<Currency> currencies = [] {
    std::vector<Currency> list = {
        {"AED", 2, "784"}, {"ARS", 2, "032"}, {"AUD", 2, "036"}, {"BDT", 2, "050"},
        {"BGN", 2, "975"}, {"BHD", 3, "048"}, {"BRL", 2, "986"}, {"CAD", 2, "124"},
        {"CHF", 2, "756"}, {"CLP", 0, "152"}, {"CNY", 2, "156"}, {"COP", 2, "170"},
        {"CZK", 2, "203"}, {"DKK", 2, "208"}, {"EGP", 2, "818"}, {"EUR", 2, "978"},
        {"GBP", 2, "826"}, {"GHS", 2, "936"}, {"HKD", 2, "344"}, {"HUF", 2, "348"},
        {"IDR", 2, "360"}, {"ILS", 2, "376"}, {"INR", 2, "356"}, {"IQD", 3, "368"},
        {"ISK", 0, "352"}, {"JOD", 3, "400"}, {"JPY", 0, "392"}, {"KES", 2, "404"},
        {"KRW", 0, "410"}, {"KWD", 3, "414"}, {"LKR", 2, "144"}, {"LYD", 3, "434"},
        {"MAD", 2, "504"}, {"MXN", 2, "484"}, {"MYR", 2, "458"}, {"NGN", 2, "566"},
        {"NOK", 2, "578"}, {"NZD", 2, "554"}, {"OMR", 3, "512"}, {"PEN", 2, "604"},
        {"PHP", 2, "608"}, {"PKR", 2, "586"}, {"PLN", 2, "985"}, {"QAR", 2, "634"},
        {"RON", 2, "946"}, {"RUB", 2, "643"}, {"SAR", 2, "682"}, {"SEK", 2, "752"},
        {"SGD", 2, "702"}, {"THB", 2, "764"}, {"TND", 3, "788"}, {"TRY", 2, "949"},
        {"TWD", 2, "901"}, {"UAH", 2, "980"}, {"UGX", 0, "800"}, {"USD", 2, "840"},
        {"USDT", 6, ""},   {"VND", 0, "704"}, {"XAF", 0, "950"}, {"XOF", 0, "952"},
        {"ZAR", 2, "710"},
    };
    std::sort(list.begin(), list.end(), [](const Currency& a, const Currency& b) { return a.code < b.code; });
    return list;
  }();
  return currencies;
}

namespace {

// A code of one to four bytes as one integer that sorts as the code does (big-endian, zero
// padded); 0 for any other length. Every lookup of an amount's currency went through string
// comparisons before, a few per authorization on the writer.
std::uint32_t packed_code(std::string_view code) {
  if (code.empty() || code.size() > 4) return 0;
  std::uint32_t packed = 0;
  for (std::size_t i = 0; i < 4; ++i) packed = (packed << 8) | (i < code.size() ? static_cast<unsigned char>(code[i]) : 0u);
  return packed;
}

// all_currencies()'s codes packed, in the same order.
const std::vector<std::uint32_t>& packed_codes() {
  static const std::vector<std::uint32_t> codes = [] {
    std::vector<std::uint32_t> packed;
    for (const Currency& currency : all_currencies()) packed.push_back(packed_code(currency.code));
    ISSUERD_ASSERT(std::is_sorted(packed.begin(), packed.end()));
    return packed;
  }();
  return codes;
}

}  // namespace

std::optional<Currency> find_currency(std::string_view code) {
  const std::uint32_t key = packed_code(code);
  if (key == 0) return std::nullopt;
  const auto& codes = packed_codes();
  const auto it = std::lower_bound(codes.begin(), codes.end(), key);
  if (it == codes.end() || *it != key) return std::nullopt;
  const Currency& found = all_currencies()[static_cast<std::size_t>(it - codes.begin())];
  if (found.code != code) return std::nullopt;  // "USD" and "USD\0" pack alike
  return found;
}

}  // namespace issuerd
