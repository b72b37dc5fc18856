"""The only modules that call AWS: DynamoDB (pynamodb), Cognito, SNS, SQS, IoT, KMS, HTTP."""
