import { AppError } from '../common/problem';
import { PROBLEM_TEXT, SignatureProblem } from './pdf-signature';

/** 422: an uploaded signed document whose signature is refused; `detail` says why, `problem` is the stable code. */
export class SignatureRefused extends AppError {
  constructor(readonly problem: SignatureProblem) {
    super(422, 'signature-refused', 'Signature refused', PROBLEM_TEXT[problem], [
      { field: 'file', message: PROBLEM_TEXT[problem] },
    ]);
  }
}
