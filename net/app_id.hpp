// App ids: "app_" + 16 lowercase hex digits (64 random bits), made by the server when an
// app is created (admin API or `unipayd app create`). Anything of another shape cannot name
// an app, so it is refused before any lookup: a URL's or header's app id costs no database
// read and is never stored unless it has this shape.
#pragma once

#include <string>
#include <string_view>

namespace unipay {

std::string new_app_id();
bool looks_like_app_id(std::string_view text);  // "app_" + 16 of [0-9a-f]

}  // namespace unipay
