// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Settlement token for local networks and tests
/// @notice A plain ERC-20 with six decimals (like the common euro and dollar stablecoins) that
/// anyone may mint. Never deploy it to a public network.
contract SettlementTestToken is ERC20 {
    constructor() ERC20("Settlement Test Euro", "tEUR") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
