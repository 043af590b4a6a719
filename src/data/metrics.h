// The official SMP2019 ECDT scorer and diagnostics.
//   domain acc   = predicted domain equals gold
//   intent acc   = domain AND intent equal
//   slot F1      = micro F1 over (key, value) pairs; a predicted pair is a true positive only if it
//   is a gold
//                  pair of the same utterance AND that utterance's domain and intent are both
//                  right. Every predicted and every gold pair counts in the denominators. A
//                  list-valued slot gives one pair per value; pairs are matched as multisets.
//   sentence acc = domain, intent and the whole slot multiset equal
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/example.h"

namespace jointnlu {

struct PrfCounts {
  std::size_t tp = 0;
  std::size_t predicted = 0;
  std::size_t gold = 0;

  double precision() const { return predicted ? static_cast<double>(tp) / predicted : 0.0; }
  double recall() const { return gold ? static_cast<double>(tp) / gold : 0.0; }
  // 1.0 when there was nothing to find and nothing was predicted.
  double f1() const;
};

struct Scores {
  std::size_t utterances = 0;
  std::size_t domain_correct = 0;
  std::size_t intent_correct = 0;  // domain and intent right
  std::size_t sentence_correct = 0;
  PrfCounts slots;                                // official, coupled to domain+intent
  std::map<std::string, PrfCounts> slots_by_key;  // same coupling, split by slot key
  std::map<std::pair<std::string, std::string>, std::size_t>
      domain_confusion;  // (gold, predicted) -> count
  std::map<std::pair<std::string, std::string>, std::size_t>
      intent_confusion;  // "domain/intent" labels

  double domain_accuracy() const { return ratio(domain_correct); }
  double intent_accuracy() const { return ratio(intent_correct); }
  double slot_f1() const { return slots.f1(); }
  double sentence_accuracy() const { return ratio(sentence_correct); }

 private:
  double ratio(std::size_t n) const {
    return utterances ? static_cast<double>(n) / utterances : 0.0;
  }
};

class Scorer {
 public:
  void add(const Frame& gold, const Frame& predicted);
  const Scores& scores() const { return scores_; }

 private:
  Scores scores_;
};

// Scores predictions against gold records pairwise. Throws std::invalid_argument if the counts
// differ or a pair's texts differ (the message names the record).
Scores score_records(const std::vector<Record>& gold, const std::vector<Record>& predicted);

Frame frame_of(const Record& r);

}  // namespace jointnlu
