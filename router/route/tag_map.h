#pragma once
// An endpoint's tags (ROUTER-PROTOCOL.md 1.2): an immutable string -> string map, sorted by
// key, in ONE shared allocation.
//
// Why not std::map: route-emitter sends 12 tags with every registration; as a std::map that
// is 12 tree nodes plus 8 heap strings, ~1.5 KB per endpoint (half of a route's memory at 1M
// routes). Here it is one block (entry table + characters: 512 bytes for route-emitter's 12),
// and copying a TagMap (decoded message -> Endpoint, Endpoint -> replacement) shares the block
// instead of copying it. Immutable once built, so any thread may read it.
//
// Reads look like a const std::map<std::string, std::string> with string_view keys and values:
// find / at / end / iteration in key order with [name, value] bindings / size / empty / ==.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace foundry::router {

class TagMap {
 public:
  using value_type = std::pair<std::string_view, std::string_view>;

  class const_iterator {
   public:
    const value_type& operator*() const { return current_; }
    const value_type* operator->() const { return &current_; }
    const_iterator& operator++() {
      ++index_;
      load();
      return *this;
    }
    bool operator==(const const_iterator& other) const { return index_ == other.index_; }

   private:
    friend class TagMap;
    const_iterator(const TagMap* map, uint32_t index) : map_(map), index_(index) { load(); }
    void load() {
      if (index_ < map_->size()) {
        current_ = map_->entryAt(index_);
      }
    }
    const TagMap* map_;
    uint32_t index_;
    value_type current_;
  };

  TagMap() = default;
  // Later duplicates of a key replace earlier ones (as assignments into a std::map would).
  TagMap(std::initializer_list<value_type> tags);
  explicit TagMap(std::vector<std::pair<std::string, std::string>> tags);

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, count_); }
  const_iterator find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != end(); }
  // The value of `key`; throws std::out_of_range when absent, like std::map::at.
  std::string_view at(std::string_view key) const;
  // Sets `key` to `value` in this map (rebuilds its block; copies keep the old one). For tests
  // and tools, not hot paths.
  void set(std::string_view key, std::string_view value);

  bool operator==(const TagMap& other) const;
  bool operator==(const std::map<std::string, std::string>& other) const;

 private:
  // Where a tag's key and value start in the block; the entry table sits at the block's
  // start and the characters follow in entry order, so a value ends where the next key starts
  // (the last one at the block's end). Blocks under 64 KiB (all real ones) use 16-bit
  // offsets: 12 route-emitter tags then fit a 512-byte allocation instead of 640.
  template <typename T>
  struct Entry {
    T key_offset;
    T value_offset;
  };
  using NarrowEntry = Entry<uint16_t>;
  using WideEntry = Entry<uint32_t>;
  template <typename E>
  void fill(char* block, const std::vector<std::pair<std::string, std::string>>& tags);
  void build(std::vector<std::pair<std::string, std::string>> tags);
  value_type entryAt(uint32_t index) const;

  std::shared_ptr<const char[]> block_;  // entries[count_] then the characters
  uint32_t count_ = 0;
  uint32_t size_ = 0;  // the block's bytes
  bool wide_ = false;  // WideEntry table (block of 64 KiB or more), else NarrowEntry
};

}  // namespace foundry::router
