// Test helper: the S3 error a client call ended with (name and HTTP status), or a failure when it succeeded.

import { S3ServiceException } from '@aws-sdk/client-s3';

export async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return { name: error.name, status: error.$metadata.httpStatusCode };
    throw error;
  }
  throw new Error('expected an S3 error, the call succeeded');
}
