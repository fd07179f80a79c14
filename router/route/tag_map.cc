#include "router/route/tag_map.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace foundry::router {

TagMap::TagMap(std::initializer_list<value_type> tags) {
  std::vector<std::pair<std::string, std::string>> owned;
  owned.reserve(tags.size());
  for (const value_type& tag : tags) {
    owned.emplace_back(std::string(tag.first), std::string(tag.second));
  }
  build(std::move(owned));
}

TagMap::TagMap(std::vector<std::pair<std::string, std::string>> tags) { build(std::move(tags)); }

void TagMap::build(std::vector<std::pair<std::string, std::string>> tags) {
  // Stable sort, then keep the LAST of each run of equal keys: map assignment semantics.
  std::stable_sort(tags.begin(), tags.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> unique;
  unique.reserve(tags.size());
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i + 1 < tags.size() && tags[i + 1].first == tags[i].first) {
      continue;
    }
    unique.push_back(std::move(tags[i]));
  }
  count_ = static_cast<uint32_t>(unique.size());
  if (unique.empty()) {
    block_.reset();
    return;
  }
  size_t chars = 0;
  for (const auto& [key, value] : unique) {
    chars += key.size() + value.size();
  }
  size_t table = unique.size() * sizeof(Entry);
  if (table + chars > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("tags larger than 4 GiB");
  }
  // Entry has 4-byte alignment; the block from make_shared<char[]> is aligned for any
  // fundamental type, so the table at its start is aligned too.
  std::shared_ptr<char[]> block = std::make_shared_for_overwrite<char[]>(table + chars);
  auto* entries = reinterpret_cast<Entry*>(block.get());
  uint32_t offset = static_cast<uint32_t>(table);
  for (size_t i = 0; i < unique.size(); ++i) {
    const auto& [key, value] = unique[i];
    Entry entry{offset, static_cast<uint32_t>(key.size()), 0, static_cast<uint32_t>(value.size())};
    std::memcpy(block.get() + offset, key.data(), key.size());
    offset += entry.key_length;
    entry.value_offset = offset;
    std::memcpy(block.get() + offset, value.data(), value.size());
    offset += entry.value_length;
    new (&entries[i]) Entry(entry);
  }
  block_ = std::move(block);
}

TagMap::value_type TagMap::entryAt(uint32_t index) const {
  Entry entry;
  std::memcpy(&entry, block_.get() + index * sizeof(Entry), sizeof(Entry));
  const char* base = block_.get();
  return {std::string_view(base + entry.key_offset, entry.key_length),
          std::string_view(base + entry.value_offset, entry.value_length)};
}

TagMap::const_iterator TagMap::find(std::string_view key) const {
  // Binary search over the sorted keys (route-emitter sends 12).
  uint32_t low = 0;
  uint32_t high = count_;
  while (low < high) {
    uint32_t mid = low + (high - low) / 2;
    std::string_view candidate = entryAt(mid).first;
    if (candidate < key) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low < count_ && entryAt(low).first == key) {
    return const_iterator(this, low);
  }
  return end();
}

std::string_view TagMap::at(std::string_view key) const {
  auto it = find(key);
  if (it == end()) {
    throw std::out_of_range("TagMap::at: no tag " + std::string(key));
  }
  return it->second;
}

void TagMap::set(std::string_view key, std::string_view value) {
  std::vector<std::pair<std::string, std::string>> tags;
  tags.reserve(count_ + 1);
  for (const auto& [k, v] : *this) {
    tags.emplace_back(std::string(k), std::string(v));
  }
  tags.emplace_back(std::string(key), std::string(value));
  build(std::move(tags));
}

bool TagMap::operator==(const TagMap& other) const {
  if (count_ != other.count_) {
    return false;
  }
  if (block_ == other.block_) {
    return true;  // shared block (a copy): the usual heartbeat comparison
  }
  for (uint32_t i = 0; i < count_; ++i) {
    if (entryAt(i) != other.entryAt(i)) {
      return false;
    }
  }
  return true;
}

bool TagMap::operator==(const std::map<std::string, std::string>& other) const {
  if (count_ != other.size()) {
    return false;
  }
  uint32_t i = 0;
  for (const auto& [key, value] : other) {
    value_type entry = entryAt(i++);
    if (entry.first != key || entry.second != value) {
      return false;
    }
  }
  return true;
}

}  // namespace foundry::router
