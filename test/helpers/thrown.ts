// What a call threw, for a test that reads the error's fields (its hint, its exit code),
// not only its message; a call that throws nothing fails the test.
export function thrown<E = Error>(f: () => unknown): E {
  try {
    f();
  } catch (err) {
    return err as E;
  }
  throw new Error("expected an error, and nothing was thrown");
}
