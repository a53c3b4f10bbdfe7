// The window geometry of the pooling layers (maxpool.cc, avgpool.cc), read by name.
#pragma once
#include "layer.h"

namespace cnnp {

inline Pool poolOf(const Settings& s) {
  return {0,
          s.integer("h"),
          s.integer("w"),
          s.integer("c"),
          s.integer("kh"),
          s.integer("kw"),
          s.integer("sh"),
          s.integer("sw"),
          s.integer("pt"),
          s.integer("pl"),
          s.integer("oh"),
          s.integer("ow")};
}

}  // namespace cnnp
