import { describe, expect, it } from "vitest";
import { parseQueueUrl } from "./connection";

describe("parseQueueUrl", () => {
  it("reads host, port, db and credentials from a redis:// URL", () => {
    const a = parseQueueUrl("redis://alice:s3cret@10.0.0.5:6380/3");
    expect(a.options).toMatchObject({ host: "10.0.0.5", port: 6380, db: 3, username: "alice", password: "s3cret" });
    expect(a.options.tls).toBeUndefined();
    expect(a.display).toBe("redis://alice:***@10.0.0.5:6380/3");
  });

  it("defaults to port 6379 and db 0, and turns TLS on for rediss://", () => {
    const a = parseQueueUrl("rediss://:pw@redis.lab");
    expect(a.options).toMatchObject({ host: "redis.lab", port: 6379, db: 0, password: "pw" });
    expect(a.options.tls).toEqual({ servername: "redis.lab" });
    expect(a.display).not.toContain("pw");
  });

  it("names the flag and hides the password in every error", () => {
    expect(() => parseQueueUrl("http://:hunter22@host:6379/0")).toThrow(
      /^--queue http:\/\/:\*\*\*@host:6379\/0: expected a redis:\/\//,
    );
    expect(() => parseQueueUrl("redis://:hunter22@host/abc", "--server-queue")).toThrow(
      /^--server-queue .*database number/,
    );
    expect(() => parseQueueUrl("not a url :hunter22@x")).toThrow(/is not a URL/);
    for (const bad of ["http://:hunter22@host:6379/0", "redis://:hunter22@host/abc", "x:hunter22@"]) {
      const error = catchError(() => parseQueueUrl(bad));
      expect(error.message).not.toContain("hunter22");
      expect((error as { code?: number }).code).toBe(2);
    }
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}
