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
  wide_ = false;
  if (unique.empty()) {
    block_.reset();
    return;
  }
  size_t chars = 0;
  for (const auto& [key, value] : unique) {
    chars += key.size() + value.size();
  }
  wide_ = unique.size() * sizeof(NarrowEntry) + chars > std::numeric_limits<uint16_t>::max();
  size_ = 0;
  size_t table = unique.size() * (wide_ ? sizeof(WideEntry) : sizeof(NarrowEntry));
  if (table + chars > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("tags larger than 4 GiB");
  }
  std::shared_ptr<char[]> block = std::make_shared_for_overwrite<char[]>(table + chars);
  size_ = static_cast<uint32_t>(table + chars);
  if (wide_) {
    fill<WideEntry>(block.get(), unique);
  } else {
    fill<NarrowEntry>(block.get(), unique);
  }
  block_ = std::move(block);
}

// Writes the entry table (entries copied in with memcpy: no alignment needed) and the
// characters after it. The caller sized the block and checked that offsets fit E's fields.
template <typename E>
void TagMap::fill(char* block, const std::vector<std::pair<std::string, std::string>>& tags) {
  size_t offset = tags.size() * sizeof(E);
  for (size_t i = 0; i < tags.size(); ++i) {
    const auto& [key, value] = tags[i];
    E entry{};
    entry.key_offset = static_cast<decltype(entry.key_offset)>(offset);
    std::memcpy(block + offset, key.data(), key.size());
    offset += key.size();
    entry.value_offset = static_cast<decltype(entry.value_offset)>(offset);
    std::memcpy(block + offset, value.data(), value.size());
    offset += value.size();
    std::memcpy(block + i * sizeof(E), &entry, sizeof(E));
  }
}

namespace {

// Entry `index` of a table of E at the block's start, and where the tag ends.
template <typename E>
std::pair<std::string_view, std::string_view> readEntry(const char* base, uint32_t index,
                                                        uint32_t count, uint32_t size) {
  E entry;
  std::memcpy(&entry, base + index * sizeof(E), sizeof(E));
  size_t end = size;
  if (index + 1 < count) {
    E next;
    std::memcpy(&next, base + (index + 1) * sizeof(E), sizeof(E));
    end = next.key_offset;
  }
  return {std::string_view(base + entry.key_offset, entry.value_offset - entry.key_offset),
          std::string_view(base + entry.value_offset, end - entry.value_offset)};
}

}  // namespace

TagMap::value_type TagMap::entryAt(uint32_t index) const {
  return wide_ ? readEntry<WideEntry>(block_.get(), index, count_, size_)
               : readEntry<NarrowEntry>(block_.get(), index, count_, size_);
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
