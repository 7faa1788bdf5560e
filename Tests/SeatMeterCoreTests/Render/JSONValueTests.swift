import Foundation
import Testing

@testable import SeatMeterCore

@Suite("JSON output: escaping, numbers, layout")
struct JSONValueTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        ("quote \" and backslash \\", #""quote \" and backslash \\""#),
        ("line\nfeed\r\ttab", #""line\nfeed\r\ttab""#),
        ("nul \u{0} unit \u{1F} del \u{7F}", "\"nul \\u0000 unit \\u001f del \u{7F}\""),
        ("Jürgen 山田 😀", "\"Jürgen 山田 😀\""),
        ("", #""""#),
    ])
    func stringsAreEscapedAsJSONRequires(text: String, expected: String) throws {
        let serialized = JSONValue.string(text).serialized()
        #expect(serialized == expected)
        // What a JSON parser reads back is the original text.
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(serialized)]".utf8)) as? [String]
        #expect(parsed == [text])
    }

    /// A long array is written in parts at once: the bytes are those of writing it element by element.
    @Test(arguments: [JSONValue.parallelElements * 2, JSONValue.parallelElements * 7 + 3])
    func longArraysAreWrittenInOrder(count: Int) throws {
        let elements = (0..<count).map { JSONValue.object([("n", .int($0)), ("s", .string("é\($0)\""))]) }
        let array = JSONValue.array(elements)
        #expect(array.serialized() == "[" + elements.map { $0.serialized() }.joined(separator: ",") + "]")
        let pretty = (0..<count).map { "  {\n    \"n\": \($0),\n    \"s\": \"é\($0)\\\"\"\n  }" }
        #expect(array.serialized(pretty: true) == "[\n" + pretty.joined(separator: ",\n") + "\n]")
        let nested = JSONValue.object([("people", array)]).serialized(pretty: true)
        let parsed = try JSONSerialization.jsonObject(with: Data(nested.utf8)) as? [String: [[String: Any]]]
        #expect(parsed?["people"]?.map { $0["n"] as? Int } == (0..<count).map { $0 })
    }

    @Test(arguments: [
        (JSONValue.int(0), "0"), (.int(-42), "-42"), (.int(Int.max), "9223372036854775807"),
        (.int(Int.min), "-9223372036854775808"), (.double(3), "3"), (.double(-2.5), "-2.5"),
        (.double(0.125), "0.125"), (.double(.nan), "null"), (.double(.infinity), "null"),
        (.bool(true), "true"), (.bool(false), "false"), (.null, "null"),
    ])
    func scalars(value: JSONValue, expected: String) {
        #expect(value.serialized() == expected)
    }

    @Test func prettyOutputIndentsTwoSpacesOneMemberPerLine() {
        let value = JSONValue.object([
            ("a", .array([.int(1), .object([("b", .string("c"))])])), ("empty", .array([])), ("none", .object([])),
        ])
        #expect(value.serialized() == #"{"a":[1,{"b":"c"}],"empty":[],"none":{}}"#)
        #expect(
            value.serialized(pretty: true) == """
                {
                  "a": [
                    1,
                    {
                      "b": "c"
                    }
                  ],
                  "empty": [],
                  "none": {}
                }
                """)
    }
}
