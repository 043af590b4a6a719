#include "core/decoding.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "core/utf8.h"

namespace jointnlu {

std::vector<float> log_softmax(std::span<const float> logits) {
  std::vector<float> out(logits.size());
  if (logits.empty()) return out;
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float x : logits) sum += std::exp(static_cast<double>(x - max));
  const float log_sum = static_cast<float>(std::log(sum)) + max;
  for (std::size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - log_sum;
  return out;
}

namespace {

// exp(x) for x <= 0 (all this file needs: logits minus their max) on 4 floats at once (one SSE
// register), written with GCC/Clang vector extensions so that it compiles to SIMD even at the
// baseline x86-64 ISA (plain loops with a clamp or a float reduction were left scalar without
// -ffast-math): 2^n by the exponent bits, n rounded by the 1.5 * 2^23 trick, e^r on |r| <= ln2/2
// by a degree-6 Taylor polynomial (truncation error < 3e-8 relative). x is clamped at -87 (e^-87
// ~ 1.6e-38, the smallest result that stays a normal float), which a sum of terms up to 1 cannot
// tell from 0.
using Float4 = float __attribute__((vector_size(16)));
using Int4 = std::int32_t __attribute__((vector_size(16)));

inline Float4 exp_nonpositive(Float4 x) {
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  const Float4 floor = Float4{} - 87.0f;
  x = x < floor ? floor : x;
  const Float4 n = (x * 1.44269504088896341f + kRound) - kRound;
  // r = x - n ln2 in two parts (Cody-Waite) so that the reduction keeps its precision.
  const Float4 r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  Float4 p = Float4{} + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const Int4 bits = (__builtin_convertvector(n, Int4) + 127) << 23;
  Float4 scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

}  // namespace

float log_sum_exp(std::span<const float> logits) {
  if (logits.empty()) return -std::numeric_limits<float>::infinity();
  const float max = *std::max_element(logits.begin(), logits.end());
  if (!std::isfinite(max)) return max;
  const std::size_t n = logits.size();
  Float4 sum{};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    Float4 x;
    std::memcpy(&x, logits.data() + i, sizeof(x));  // a fixed-size copy: one unaligned load
    sum += exp_nonpositive(x - max);
  }
  if (i < n) {
    // The last 1-3 values, the other lanes -inf (which the clamp turns into a negligible e^-87).
    // With n >= 4 the last four values are loaded and the lanes already summed masked off: a
    // short element-wise copy would become a call to memcpy.
    constexpr float kInf = std::numeric_limits<float>::infinity();
    Float4 x = Float4{} - kInf;
    if (n >= 4) {
      std::memcpy(&x, logits.data() + n - 4, sizeof(x));
      const Int4 lane = {0, 1, 2, 3};
      const auto done = static_cast<std::int32_t>(4 - (n - i));  // lanes summed above
      x = lane < done ? Float4{} - kInf : x;
    } else {
      for (std::size_t j = 0; j < n; ++j) x[j] = logits[j];
    }
    sum += exp_nonpositive(x - max);
  }
  float total = 0.0f;
  for (int j = 0; j < 4; ++j) total += sum[j];
  return std::log(total) + max;
}

std::vector<float> softmax(std::span<const float> logits) {
  auto out = log_softmax(logits);
  for (float& x : out) x = std::exp(x);
  return out;
}

TagDecoder::TagDecoder(const std::vector<std::string>& tags, TagScheme scheme)
    : num_tags_(static_cast<int>(tags.size())),
      allowed_(tags.size() * tags.size()),
      first_(tags.size()),
      last_(tags.size()) {
  for (int a = 0; a < num_tags_; ++a) {
    first_[a] = tag_transition_allowed("O", tags[a], scheme);
    last_[a] = tag_transition_allowed(tags[a], "O", scheme);
    for (int b = 0; b < num_tags_; ++b)
      allowed_[a * num_tags_ + b] = tag_transition_allowed(tags[a], tags[b], scheme);
  }
  // Under BIO/BIOES most tags (O, B-x, S-x) may follow any tag, and the rest (I-x, E-x) only a
  // couple: Viterbi then needs one maximum over all tags per position plus short lists, O(T)
  // instead of O(T^2) per position (SMP2019 has 111 tags; the dense loop was 38% of a student's
  // parse).
  prev_offsets_.assign(tags.size() + 1, 0);
  for (int b = 0; b < num_tags_; ++b) {
    bool any_prev = true;
    for (int a = 0; a < num_tags_; ++a)
      if (!allowed_[a * num_tags_ + b]) any_prev = false;
    if (!any_prev) {
      std::vector<int> prevs;
      for (int a = 0; a < num_tags_; ++a)
        if (allowed_[a * num_tags_ + b]) prevs.push_back(a);
      if (prevs.size() == 1 || prevs.size() == 2) {
        pairs_.push_back({b, prevs.front(), prevs.back()});
      } else {
        restricted_.push_back(b);
        prev_list_.insert(prev_list_.end(), prevs.begin(), prevs.end());
      }
    }
    prev_offsets_[b + 1] = prev_list_.size();
  }
}

std::vector<int> TagDecoder::decode(std::span<const float> scores, std::size_t length) const {
  const auto n = static_cast<std::size_t>(num_tags_);
  if (scores.size() != length * n)
    throw std::invalid_argument("tag decoder: " + std::to_string(scores.size()) + " scores for " +
                                std::to_string(length) + " positions x " + std::to_string(n) +
                                " tags");
  if (length == 0) return {};
  constexpr double kImpossible = -std::numeric_limits<double>::infinity();
  // Per-thread scratch: after the first call of a thread, decoding allocates only the result.
  thread_local std::vector<double> best, next;
  thread_local std::vector<int> back;
  best.assign(n, 0.0);
  next.assign(n, 0.0);
  back.assign(length * n, -1);
  for (std::size_t t = 0; t < n; ++t) best[t] = first_[t] ? scores[t] : kImpossible;
  for (std::size_t pos = 1; pos < length; ++pos) {
    // The best predecessor among all tags (ties: the lowest id, as in a scan in id order). The
    // maximum first, over four independent running maxima: GCC compiles a one-pass argmax into
    // maxsd + cmov, one dependency chain through all n tags (~5 cycles each, a third of the
    // decode); then the first tag that reaches it.
    double lane[4] = {kImpossible, kImpossible, kImpossible, kImpossible};
    std::size_t prev = 0;
    for (; prev + 4 <= n; prev += 4)
      for (std::size_t l = 0; l < 4; ++l)
        lane[l] = best[prev + l] > lane[l] ? best[prev + l] : lane[l];
    for (; prev < n; ++prev) lane[0] = best[prev] > lane[0] ? best[prev] : lane[0];
    const double all_top = std::max(std::max(lane[0], lane[1]), std::max(lane[2], lane[3]));
    int all_arg = -1;  // stays -1 only if every score is NaN, as in the one-pass scan
    for (prev = 0; prev < n; ++prev)
      if (best[prev] == all_top) {
        all_arg = static_cast<int>(prev);
        break;
      }
    // Every tag as if any tag could precede it (one branch-free loop), then the few whose
    // predecessors are restricted (I- tags) redone from their lists.
    const float* row = scores.data() + pos * n;
    int* back_row = back.data() + pos * n;
    for (std::size_t cur = 0; cur < n; ++cur) {
      next[cur] = all_top + row[cur];
      back_row[cur] = all_arg;
    }
    // Tags with one or two predecessors (I- under BIO: B- and I- of the same key): the better of
    // the two with selects, no inner loop (that loop was ~45% of the decode).
    for (const RestrictedPair& r : pairs_) {
      const double first = best[static_cast<std::size_t>(r.first)];
      const double second = best[static_cast<std::size_t>(r.second)];
      const bool take_second = second > first;  // first < second in id order: ties keep first
      next[static_cast<std::size_t>(r.tag)] = (take_second ? second : first) + row[r.tag];
      back_row[r.tag] = take_second ? r.second : r.first;
    }
    for (const int tag : restricted_) {
      const auto cur = static_cast<std::size_t>(tag);
      double top = kImpossible;
      int arg = -1;
      for (std::size_t k = prev_offsets_[cur]; k < prev_offsets_[cur + 1]; ++k) {
        const int prev = prev_list_[k];
        const double v = best[static_cast<std::size_t>(prev)];
        const bool better = v > top;
        top = better ? v : top;
        arg = better ? prev : arg;
      }
      next[cur] = arg < 0 ? kImpossible : top + row[cur];
      back_row[cur] = arg;
    }
    best.swap(next);
  }
  int tag = -1;
  double top = kImpossible;
  for (std::size_t t = 0; t < n; ++t)
    if (last_[t] && best[t] > top) top = best[t], tag = static_cast<int>(t);
  if (tag < 0)
    throw std::invalid_argument("tag decoder: no valid tag path (does the tag set contain \"O\"?)");
  std::vector<int> path(length);
  for (std::size_t pos = length; pos-- > 0;) {
    path[pos] = tag;
    tag = back[pos * n + static_cast<std::size_t>(tag)];
  }
  return path;
}

JointChoice decode_joint(std::span<const float> domain_logits, std::span<const float> intent_logits,
                         const LabelSpace& labels) {
  if (domain_logits.size() != static_cast<std::size_t>(labels.domains().size()) ||
      intent_logits.size() != static_cast<std::size_t>(labels.intents().size()))
    throw std::invalid_argument("joint decoding: " + std::to_string(domain_logits.size()) +
                                " domain and " + std::to_string(intent_logits.size()) +
                                " intent scores for " + std::to_string(labels.domains().size()) +
                                " domains and " + std::to_string(labels.intents().size()) +
                                " intents");
  if (labels.pairs().empty())
    throw std::invalid_argument("joint decoding: the label space has no pairs");
  // log p(d) + log p(i) = logit_d + logit_i - (two constants): the argmax needs the raw logits
  // only, the probabilities one log-sum-exp per head.
  JointChoice best;
  double top = -std::numeric_limits<double>::infinity();
  for (const auto& [d, i] : labels.pairs()) {
    const double s = static_cast<double>(domain_logits[static_cast<std::size_t>(d)]) +
                     intent_logits[static_cast<std::size_t>(i)];
    if (best.domain < 0 || s > top) top = s, best.domain = d, best.intent = i;
  }
  best.domain_prob =
      std::exp(static_cast<double>(domain_logits[static_cast<std::size_t>(best.domain)]) -
               log_sum_exp(domain_logits));
  best.intent_prob =
      std::exp(static_cast<double>(intent_logits[static_cast<std::size_t>(best.intent)]) -
               log_sum_exp(intent_logits));
  return best;
}

std::vector<SlotPrediction> tags_to_slots(std::string_view text, const ModelInput& input,
                                          const std::vector<int>& tags,
                                          const std::vector<float>& tag_probs,
                                          const LabelSpace& labels) {
  if (tags.size() != input.labelled.size() || tag_probs.size() != tags.size())
    throw std::invalid_argument("tags_to_slots: " + std::to_string(tags.size()) + " tags and " +
                                std::to_string(tag_probs.size()) + " probabilities for " +
                                std::to_string(input.labelled.size()) + " labelled positions");
  std::string error;
  const auto decoded = decode_utf8(text, &error);
  if (!decoded) throw std::invalid_argument("tags_to_slots: " + error);
  const auto token_at =
      [&](std::size_t i) {  // token index in the encoding of the i-th labelled position
        return i < input.labelled.size() ? input.labelled[i] - 1 : input.kept_tokens;
      };
  std::vector<SlotPrediction> out;
  std::size_t i = 0;
  while (i < tags.size()) {
    const int key = labels.key_of_tag(tags[i]);
    if (key < 0) {
      ++i;
      continue;
    }
    // A stray I- (only from an unconstrained path) is read as B-, never dropped silently.
    double score = tag_probs[i];
    std::size_t j = i + 1;
    while (j < tags.size() && tags[j] == labels.inside_tag(key))
      score = std::min<double>(score, tag_probs[j++]);
    const auto [begin, end] = input.encoding.char_span(token_at(i), token_at(j));
    SlotPrediction slot;
    slot.span = Span{begin, end, labels.slot_keys()[static_cast<std::size_t>(key)]};
    slot.value = std::string(
        text.substr(decoded->offsets[begin], decoded->offsets[end] - decoded->offsets[begin]));
    slot.score = score;
    if (end > begin) out.push_back(std::move(slot));
    i = j;
  }
  return out;
}

JointDecoder::JointDecoder(LabelSpace labels)
    : labels_(std::move(labels)), tagger_(labels_.tags().labels(), TagScheme::kBio) {}

Prediction JointDecoder::decode(std::string_view text, const ModelInput& input,
                                std::span<const float> domain_logits,
                                std::span<const float> intent_logits,
                                std::span<const float> slot_logits) const {
  const auto n = static_cast<std::size_t>(tagger_.num_tags());
  if (slot_logits.size() < input.ids.size() * n)
    throw std::invalid_argument("joint decoding: " + std::to_string(slot_logits.size()) +
                                " slot scores for " + std::to_string(input.ids.size()) +
                                " positions x " + std::to_string(n) + " tags");
  const JointChoice choice = decode_joint(domain_logits, intent_logits, labels_);
  Prediction p;
  p.frame.domain = labels_.domains().name(choice.domain);
  p.frame.intent = labels_.intents().name(choice.intent);
  p.domain_score = choice.domain_prob;
  p.intent_score = choice.intent_prob;
  p.truncated = input.kept_tokens < input.encoding.size();

  // Viterbi runs on the raw logits: log_softmax only subtracts a per-position constant, which every
  // path pays once, so the best path is the same; the exponentials (n per position, most of the
  // decoder's time) are then needed only for the positions a slot covers, for their confidence.
  thread_local std::vector<float> scores;
  scores.resize(input.labelled.size() * n);
  for (std::size_t i = 0; i < input.labelled.size(); ++i) {
    const auto row = slot_logits.subspan(input.labelled[i] * n, n);
    std::copy(row.begin(), row.end(), scores.begin() + static_cast<std::ptrdiff_t>(i * n));
  }
  const auto tags = tagger_.decode(scores, input.labelled.size());
  // tags_to_slots reads the probabilities of slot positions only; "O" positions keep 0.
  std::vector<float> tag_probs(tags.size(), 0.0f);
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (labels_.key_of_tag(tags[i]) < 0) continue;
    const auto row = std::span<const float>(scores).subspan(i * n, n);
    tag_probs[i] = std::exp(row[static_cast<std::size_t>(tags[i])] - log_sum_exp(row));
  }
  p.slots = tags_to_slots(text, input, tags, tag_probs, labels_);
  for (const auto& s : p.slots) p.frame.slots.emplace_back(s.span.key, s.value);
  return p;
}

std::string prediction_json_line(const std::string& text, const Prediction& prediction) {
  // Four decimals: enough to rank and threshold, and the lines stay readable.
  const auto round = [](double p) { return std::round(p * 1e4) / 1e4; };
  auto j = nlohmann::ordered_json::parse(
      to_json_line(text, prediction.frame.domain, prediction.frame.intent, prediction.frame.slots));
  auto slots = nlohmann::ordered_json::array();
  for (const auto& s : prediction.slots)
    slots.push_back({{"key", s.span.key}, {"value", s.value}, {"score", round(s.score)}});
  j["scores"] = {{"domain", round(prediction.domain_score)},
                 {"intent", round(prediction.intent_score)},
                 {"slots", std::move(slots)}};
  // Only when it happened, so that ordinary lines keep the SMP shape.
  if (prediction.truncated) j["truncated"] = true;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

}  // namespace jointnlu
