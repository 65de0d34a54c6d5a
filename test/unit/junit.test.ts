// Pure tier: `nslab test --junit`: one testcase per outcome, failures with what was wanted
// and got, observed pairs skipped, everything a user's name may hold escaped.
import type { Outcome } from "../../netops/expect";
import { junit, xml } from "../../netops/junit";

const outcome = (over: Partial<Outcome>): Outcome => ({
  name: "lab-stack/Ns01PingsNs02",
  from: "ns01",
  to: "ns02 (192.168.88.12)",
  check: "ping",
  want: true,
  got: true,
  detail: "2/2 replies",
  ...over,
});

test("a pass, a failure, an observed pair", () => {
  const at = new Date("2026-12-04T05:00:00Z");
  const out = junit(
    "lab-stack",
    [
      outcome({}),
      outcome({ name: "lab-stack/Web<&>", check: "tcp/8080", got: false, detail: 'refused "now"' }),
      outcome({
        name: "all pairs",
        from: "ns02",
        to: "ns03 (10.0.0.3)",
        want: null,
        got: false,
        detail: "0/2 replies",
      }),
    ],
    1.5,
    at,
  );
  expect(out).toBe(
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<testsuites name="nslab test lab-stack" tests="3" failures="1" errors="0" skipped="1" time="1.500">\n' +
      '  <testsuite name="lab-stack" tests="3" failures="1" errors="0" skipped="1" time="1.500" timestamp="2026-12-04T05:00:00">\n' +
      '    <testcase classname="lab-stack" name="lab-stack/Ns01PingsNs02"/>\n' +
      '    <testcase classname="lab-stack" name="lab-stack/Web&lt;&amp;&gt;">\n' +
      '      <failure message="want reachable, got unreachable (refused &quot;now&quot;)">from ns01 to ns02 (192.168.88.12), tcp/8080</failure>\n' +
      "    </testcase>\n" +
      '    <testcase classname="lab-stack.all-pairs" name="ns02 -&gt; ns03 (10.0.0.3)">\n' +
      '      <skipped message="the lab does not say; observed: unreachable (0/2 replies)"/>\n' +
      "    </testcase>\n" +
      "  </testsuite>\n</testsuites>\n",
  );
});

test("control characters XML cannot hold are dropped", () => {
  expect(xml("a\u0000b\u001bc\td'")).toBe("abc\td&apos;");
});
