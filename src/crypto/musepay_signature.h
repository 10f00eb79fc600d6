// The MusePay request and callback signature (VENDOR-NOTES.md): every top-level body field
// except `sign`, blank values dropped, keys sorted, joined as k1=v1&k2=v2; a nested object
// or array is serialised as JSON with object keys sorted and blank members dropped. The
// UTF-8 bytes are signed with SHA1withRSA and `sign` is the Base64 signature.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "crypto/rsa.h"

namespace issuerd::crypto {

// The exact string that is signed. "Blank" is: JSON null, or a string that is empty or
// only white space. Numbers and booleans are written as their JSON text; strings as is.
// `also_skip`: top-level members left out besides "sign" (without copying the body).
std::string musepay_canonical_string(const boost::json::object& body,
                                     std::initializer_list<std::string_view> also_skip = {});

std::string musepay_sign(const boost::json::object& body, const RsaPrivateKey& key);
bool musepay_verify(const boost::json::object& body, const RsaPublicKey& key);

}  // namespace issuerd::crypto
