/**
 * UUIDv7 ids for new messages (time-ordered, so the primary key index grows at its right edge).
 * The uuidv7 package's default generator refills a 32-byte buffer through WebCrypto's
 * getRandomValues every few ids, which a profile of the AI SDK save (six ids per save) showed at
 * about 9% of the client's CPU; here one randomFillSync of 4 KiB serves some 300 ids. The random
 * bits stay those of the CSPRNG; only the refills are fewer.
 */
import { randomFillSync } from 'node:crypto';
import { V7Generator } from 'uuidv7';

class BufferedRandom {
  private readonly buffer = new Uint32Array(1024);
  private cursor = this.buffer.length;

  nextUint32(): number {
    if (this.cursor >= this.buffer.length) {
      randomFillSync(this.buffer);
      this.cursor = 0;
    }
    return this.buffer[this.cursor++] as number;
  }
}

const generator = new V7Generator(new BufferedRandom());

/** A new UUIDv7, as text. */
export const newId = (): string => generator.generate().toString();
