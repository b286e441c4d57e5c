// Bench Worker for scripts/bench/password-hash.ts --workerd: GET /?n=<hashes>&N=&r=&p=
// runs n password hashes inside workerd with the edge's own code, one after the other.
import { CURRENT_SCRYPT_PARAMS, hashPassword } from '../../edge/src/services/passwords.ts';

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get('n') ?? '1');
    const params = {
      N: Number(url.searchParams.get('N') ?? CURRENT_SCRYPT_PARAMS.N),
      r: Number(url.searchParams.get('r') ?? CURRENT_SCRYPT_PARAMS.r),
      p: Number(url.searchParams.get('p') ?? CURRENT_SCRYPT_PARAMS.p),
    };
    // Workers' clocks advance only around I/O, so the caller times requests from outside.
    for (let i = 0; i < n; i++) await hashPassword(`bench-password-${i}`, params);
    return Response.json({ n, params });
  },
};
