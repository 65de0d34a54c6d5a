// Specs the pure tiers share: one network, its port mapping, one delay line, and a delay
// line's nothing-there observation. Each test overrides what it is about.
import type { DelayLineSpec, EndpointSpec, NetworkSpec, PortMappingSpec } from "../../model/schema";
import type { DelayLineObs } from "../../netops/delayline";
import { parseSave } from "../../netops/iptables";

/** Bridge br01 on 192.168.88.0/24, gateway .1 (lab-stack's network), its keys in the order synth writes them. */
export const br01 = (over: Partial<NetworkSpec> = {}): NetworkSpec => ({
  v: 1,
  stack: "lab",
  kind: "network",
  bridge: "br01",
  subnet: "192.168.88.0",
  prefix: 24,
  gateway: "192.168.88.1",
  mtu: 1500,
  masquerade: true,
  ...over,
});

/** An endpoint on br01 (lab-stack's ns01 by default), its veth's host end named after its namespace. */
export const endpointSpec = (netns = "ns01", over: Partial<EndpointSpec> = {}): EndpointSpec => ({
  v: 1,
  stack: "lab",
  kind: "endpoint",
  netns,
  hostIf: `veth-${netns}`,
  ifname: "eth0",
  address: "192.168.88.11",
  prefix: 24,
  gateway: "192.168.88.1",
  mtu: 1500,
  bridge: "br01",
  ...over,
});

/** lab-stack's port mapping: host port 8080/tcp to ns01's 80 on br01. */
export const port8080 = (over: Partial<PortMappingSpec> = {}): PortMappingSpec => ({
  v: 1,
  stack: "lab",
  kind: "portmap",
  protocol: "tcp",
  hostPort: 8080,
  address: "192.168.88.11",
  port: 80,
  bridge: "br01",
  ...over,
});

/** A 100 ms delay line for endpoint e1's eth0 on bridge br1. */
export const delayLine = (over: Partial<DelayLineSpec> = {}): DelayLineSpec => ({
  v: 1,
  kind: "delayline",
  stack: "lab",
  netns: "e1",
  ifname: "eth0",
  bridge: "br1",
  port: "nlp1234567",
  delayMs: 100,
  jitterMs: 0,
  ...over,
});

/** A delay line of which nothing is there. */
export const noDelayLine: DelayLineObs = {
  port: null,
  far: null,
  a: null,
  b: null,
  under: null,
  nsExists: false,
  pid: null,
  rules: parseSave(""),
  untracked: null,
};
