import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type ObjectDetails, ObjectDetailsSchema } from '../../gen/zitadel/object_pb.js';

export function objectDetails(resourceOwner: string, changed: Date = new Date(), created?: Date): ObjectDetails {
  return create(ObjectDetailsSchema, {
    sequence: BigInt(changed.getTime()),
    changeDate: timestampFromDate(changed),
    ...(created ? { creationDate: timestampFromDate(created) } : {}),
    resourceOwner,
  });
}
