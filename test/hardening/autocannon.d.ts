/** The part of autocannon's API the soak uses (the package ships no types). */
declare module 'autocannon' {
  interface Histogram {
    average: number;
    p99: number;
    max: number;
    total: number;
  }
  interface Request {
    method?: string;
    path: string;
    onResponse?: (status: number, body: string) => void;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    timeout?: number;
    pipelining?: number;
    requests?: Request[];
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
