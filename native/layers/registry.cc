#include <map>
#include <stdexcept>

#include "layer.h"

namespace cnnp {

namespace {

std::map<std::string, Factory>& registry() {
  static std::map<std::string, Factory> kinds;
  return kinds;
}

}  // namespace

Registration::Registration(const char* kind, Factory make) { registry()[kind] = make; }

std::unique_ptr<Layer> makeLayer(const std::string& kind, const Settings& s) {
  auto it = registry().find(kind);
  if (it == registry().end()) throw std::invalid_argument("unknown layer kind '" + kind + "'");
  return it->second(s);
}

}  // namespace cnnp
