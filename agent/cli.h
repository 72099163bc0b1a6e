#ifndef HG_CLI_H
#define HG_CLI_H
#endif
