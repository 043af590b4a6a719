"""The Python binding against the C++ API: same parses, the documented errors, threads."""
import json
import threading

import pytest

import jointnlu


def test_same_parses_as_cpp(parser, texts, cpp_lines):
    parses = parser.parse_batch(texts)
    assert len(parses) == len(texts) == len(cpp_lines)
    for text, p, line in zip(texts, parses, cpp_lines):
        # Byte for byte the JSON the C++ API wrote for the same text...
        assert p.to_json() == line
        # ...and field by field, floats exactly.
        want = json.loads(line)
        assert p.text == text == want["text"]
        assert (p.domain, p.intent) == (want["domain"], want["intent"])
        assert p.domain_confidence == want["domain_confidence"]
        assert p.intent_confidence == want["intent_confidence"]
        assert p.truncated == want["truncated"]
        got = [(s.key, s.value, s.start, s.end, s.confidence) for s in p.slots]
        assert got == [(s["key"], s["value"], s["start"], s["end"], s["confidence"])
                       for s in want["slots"]]


def test_parse_equals_parse_batch(parser, texts):
    few = texts[:20]
    assert [parser.parse(t) for t in few] == parser.parse_batch(few)
    assert parser.parse_batch(iter(few)) == parser.parse_batch(few)  # any iterable
    assert parser.parse_batch([]) == []


def test_slots_index_python_strings(parser, texts):
    seen = 0
    for p in parser.parse_batch(texts):
        for s in p.slots:
            assert p.text[s.start:s.end] == s.value  # code points, as Python indexes str
            assert 0.0 <= s.confidence <= 1.0
            seen += 1
        assert p.slot_dict == {s.key: s.value for s in p.slots}
        assert 0.0 <= p.domain_confidence <= 1.0 and 0.0 <= p.intent_confidence <= 1.0
    assert seen > 0, "no slot in any parse: the test model is too weak to test slots"


def test_repr_and_dicts(parser, texts):
    p = parser.parse(texts[0])
    assert repr(p).startswith("Parse(text=")
    for s in p.slots:
        assert s.to_dict()["value"] == s.value
        assert repr(s).startswith("Slot(key=")


def test_invalid_texts_raise_invalid_input(model_path):
    parser = jointnlu.Parser(model_path, max_chars=10)
    for bad in ["", b"\xff\xfe", "a" * 11, "bell\x07"]:
        with pytest.raises(jointnlu.InvalidInputError):
            parser.parse(bad)
    # A ValueError too, and a jointnlu.Error.
    with pytest.raises(ValueError):
        parser.parse("")
    with pytest.raises(jointnlu.Error):
        parser.parse("")
    with pytest.raises(jointnlu.InvalidInputError, match="text 1"):
        parser.parse_batch(["好的", ""])
    with pytest.raises(TypeError):
        parser.parse_batch(["好的", 3])
    with pytest.raises(TypeError):
        parser.parse(None)


def test_long_texts_are_truncated_and_flagged(parser, texts):
    limit = parser.info.max_length  # tokens, [CLS] and [SEP] included
    long_text = ("播放周杰伦的稻香" * limit)[: parser.max_chars]  # one token per character
    assert len(long_text) > limit
    p = parser.parse(long_text)
    assert p.truncated
    assert all(s.end <= limit - 2 for s in p.slots)  # nothing from the part that was cut
    assert not parser.parse(texts[0][: limit - 2]).truncated


def test_bad_models(tmp_path):
    with pytest.raises(jointnlu.Error) as missing:
        jointnlu.Parser(str(tmp_path / "missing.safetensors"))
    assert "missing.safetensors" in str(missing.value)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a\":1}")
    with pytest.raises(jointnlu.InvalidModelError, match="garbage.safetensors"):
        jointnlu.Parser(str(garbage))
    with pytest.raises(ValueError):
        jointnlu.Parser(str(garbage), threads=-1)


def test_lexicon_edits_on_a_model_without_lexicon(parser):
    if parser.info.lexicon_categories:
        pytest.skip("the test model reads a lexicon")
    with pytest.raises(jointnlu.InvalidInputError, match="without a lexicon"):
        parser.add_lexicon_entries("contact", ["林晓峰"])


def test_info(parser, model_path):
    info = parser.info
    assert info.path == model_path
    assert info.weights in ("fp32", "int8")
    assert info.domains > 0 and info.intents > 0 and info.max_length >= 3
    assert json.loads(info.to_json())["vocab_size"] == info.vocab_size
    assert jointnlu.__version__.count(".") == 2


def test_threads_share_a_parser(model_path, texts):
    parser = jointnlu.Parser(model_path, threads=2)
    want = parser.parse_batch(texts)
    results = [None] * 4

    def work(i):
        results[i] = parser.parse_batch(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == want for r in results)
